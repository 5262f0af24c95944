"""The run in time: its sessions, every save, its heartbeats and its metric series.

Built from what `auditor.evidence.run` has already read (events.jsonl, the log lines, the
checkpoints found); nothing here opens a file. Our runs are read from their events; a
foreign run from the sessions and save lines auditor.evidence.runlog found in its log and
from its checkpoint times (the same sessions the run's gaps are measured in). Where a fact is
missing the field is empty and says why, never guessed: a session whose end was not recorded
is `killed` only when another session follows it, else `open`; a session with no time
in its lines is not drawn.
"""

from __future__ import annotations

import re

from auditor import rxcache
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # history reads what runlog found; it never reads a log itself
    from auditor.evidence.runlog import RunLog

_STEP_RE = rxcache.compile(r"\b(?:global_step|step|iteration|iter)\b\s*[=:#]?\s*(\d+)", re.I)
# our train.log: loss.<name>=<value> and step=<n>; a foreign log: name=value or name: value pairs whose
# name is a metric (loss=0.12, val_loss: 0.3, val acc=0.9, eval_bleu=...), picked in _metric_name
_OUR_METRIC_RE = rxcache.compile(r"(?<![\w.])loss\.([A-Za-z_][\w.]*)=(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_OUR_STEP_RE = rxcache.compile(r"\bstep=(\d+)")
_PAIR_RE = rxcache.compile(r"(?<![\w.])([A-Za-z][A-Za-z_]*(?: (?:loss|acc|accuracy))?)\s*[=:]\s*"
                      r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b")
_METRIC_WORDS = frozenset(("loss", "acc", "accuracy", "psnr", "ssim", "ppl", "perplexity"))
_VALIDATION_PREFIXES = ("val", "valid", "validation", "eval", "test")
_TRAIN_PREFIXES = ("train", "training")
MAX_SERIES = 8  # metric names kept (the ones with most points); a log that names more is cut


@dataclass(frozen=True)
class Save:
    """One save of a checkpoint, as a time on the run's clock."""

    time: float
    kind: str  # periodic | best | final | preempt | other
    file: str
    step: int | None
    status: str  # valid | corrupt | incomplete | in_progress | readable | unreadable | purged (gone since)
    source: str  # events.jsonl:LINE, or the checkpoint file and where its time came from


@dataclass(frozen=True)
class Session:
    """One process lifetime of the run, from its start to its last sign of life."""

    start: float | None
    end: float | None
    ended: str  # finished | preempted | failed | killed (no end recorded, a later session exists) | open
    start_source: str
    end_source: str
    resumed_from: str = ""  # the checkpoint it continued from, as recorded
    resume_time: float | None = None
    resume_source: str = ""
    from_scratch: bool = False  # began from nothing although checkpoints had been saved before
    command: str = ""  # the command line the session recorded (a foreign log), as written
    command_source: str = ""
    explicit_resume: str = ""  # the option or setting that asked for the resume ("" when none was given)
    explicit_source: str = ""


@dataclass(frozen=True)
class Beat:
    """One heartbeat of the run, as a time on the run's clock, and where it was read."""

    time: float
    source: str


@dataclass(frozen=True)
class MetricPoint:
    """One value of a metric, with the time and step of its line when it has them."""

    time: float | None
    step: int | None
    value: float


@dataclass(frozen=True)
class MetricSeries:
    """One metric's points over the run, read from one source; `validation` for a validation metric."""

    name: str
    validation: bool
    source: str  # the file (or event) the values were read from
    points: tuple[MetricPoint, ...]


@dataclass(frozen=True)
class RunHistory:
    """The run in time: its saves, sessions, heartbeats and metric series, with where each was read."""

    saves: tuple[Save, ...] = ()
    saves_source: str = ""
    sessions: tuple[Session, ...] = ()
    sessions_source: str = ""
    beats: tuple[Beat, ...] = ()
    beats_source: str = ""
    metrics: tuple[MetricSeries, ...] = ()


def build_history(events: list[tuple[int, dict]], logs: list[tuple[str, int, float | None, str]],
                  checkpoints: Iterable[Any], heartbeats: Iterable[Any], foreign: RunLog | None = None) -> RunHistory:
    """The run's history from its events (ours) or its log's sessions and saves and its checkpoints (foreign)."""
    checkpoints = tuple(checkpoints)
    saves, saves_source = _saves(events, checkpoints, foreign)
    if events:
        sessions, sessions_source = _our_sessions(events), "events.jsonl (run_start, resumed_from, run_end)"
    else:
        sessions, sessions_source = _log_sessions(foreign)
    beats = tuple(Beat(h.ts, f"{h.file}:{h.line}" if h.line else h.file) for h in heartbeats if h.ts is not None)
    beats_source = "heartbeat events" if events else "heartbeat log lines"
    if not beats:
        beats = tuple(Beat(t, f"{f}:{n}") for f, n, t, text in logs if t is not None and "progress" in text.lower())
        beats_source = "log lines that report a progress update" if beats else ""
    return RunHistory(saves, saves_source, sessions, sessions_source, beats, beats_source,
                      _metrics(events, logs))


# --------------------------------------------------------------------------- saves


def _saves(events: list[tuple[int, dict]], checkpoints: tuple[Any, ...],
           foreign: RunLog | None) -> tuple[tuple[Save, ...], str]:
    on_disk = {c.file: c for c in checkpoints}
    saves: list[Save] = []
    recorded: set[str] = set()
    if foreign is not None and not events:
        saves, recorded = _logged_saves(foreign, checkpoints)
    for number, e in events:
        if e["event"] != "checkpoint_saved" or e["ts"] is None:
            continue
        name = str(e.get("file", ""))
        rel = name if name in on_disk else f"checkpoints/{name}"
        recorded.add(rel)
        kind = e.get("kind") if e.get("kind") in ("periodic", "best", "final", "preempt") else "other"
        disk = on_disk.get(rel)
        status = disk.status if disk is not None else "purged"
        step = e.get("step") if isinstance(e.get("step"), int) and not isinstance(e.get("step"), bool) else None
        saves.append(Save(e["ts"], kind, rel, step, status, f"events.jsonl:{number}"))
    source = ("checkpoint_saved events" if events else "save lines in the log") if saves else ""
    for c in checkpoints:  # files no event speaks of: a foreign run's saves, or a save that never finished
        if c.file in recorded or c.time is None:
            continue
        saves.append(Save(c.time, c.kind, c.file, c.step, c.status, f"{c.file} (time from {c.time_source})"))
        source = source or "checkpoint files (times from " + "/".join(sorted({c.time_source for c in checkpoints
                                                                               if c.time is not None})) + ")"
    saves.sort(key=lambda s: (s.time, s.file))
    return tuple(saves), source


# --------------------------------------------------------------------------- sessions


def _our_sessions(events: list[tuple[int, dict]]) -> tuple[Session, ...]:
    out: list[Session] = []
    current: dict[str, Any] | None = None
    saved_before = False
    last_seen: tuple[float | None, str] = (None, "")

    def close(ended: str, end: float | None, source: str) -> None:
        nonlocal current
        if current is not None:
            from_scratch = current.pop("saved_before") and not current.get("resumed_from")
            out.append(Session(end=end, ended=ended, end_source=source, from_scratch=from_scratch, **current))
        current = None

    for number, e in events:
        name, ts = e["event"], e["ts"]
        where = f"events.jsonl:{number}"
        if name == "run_start":
            close("killed", *last_seen)
            current = {"start": ts, "start_source": where, "saved_before": saved_before}
        elif current is not None and name == "resumed_from":
            step = e.get("step")
            current.update(resumed_from=f"{e.get('file')}" + (f" at step {step}" if step is not None else ""),
                           resume_time=ts, resume_source=where)
        elif current is not None and name == "run_end":
            status = str(e.get("status", ""))
            close(status if status in ("finished", "preempted", "failed") else "failed", ts, where)
        elif name == "checkpoint_saved":
            saved_before = True
        if ts is not None:
            last_seen = (ts, where)
    close("open", *last_seen)
    return tuple(out)


def _logged_saves(foreign: RunLog, checkpoints: tuple[Any, ...]) -> tuple[list[Save], set[str]]:
    """A foreign log's timed save lines; a save whose file is still on disk shows its status, an
    overwritten or deleted one is `purged` (it was saved then, and is not there now)."""
    by_name = {c.file.rsplit("/", 1)[-1]: c for c in checkpoints}
    saves: list[Save] = []
    recorded: set[str] = set()
    for s in foreign.saves:
        if s.time is None:
            continue
        disk = by_name.get(s.target.rstrip("/").rsplit("/", 1)[-1])
        current = disk is not None and disk.time is not None and abs(disk.time - s.time) < 5
        if current and disk.time_source != "mtime":
            continue  # the file's own time (from inside it) is the better evidence: it is listed as a file
        if current:
            recorded.add(disk.file)
        saves.append(Save(s.time, s.kind, disk.file if current else s.target, s.step,
                          disk.status if current else "purged", s.where))
    return saves, recorded


def _log_sessions(foreign: RunLog | None) -> tuple[tuple[Session, ...], str]:
    """A foreign run's sessions as auditor.evidence.runlog split them (those with a time in their lines)."""
    if foreign is None:
        return (), ""
    out = tuple(Session(start=s.start, end=s.end, ended=s.ended, start_source=s.start_source,
                        end_source=s.end_source, resumed_from=s.resumed_from, resume_time=s.resume_time,
                        resume_source=s.resume_source, from_scratch=s.from_scratch, command=s.command,
                        command_source=s.command_source, explicit_resume=s.explicit_resume,
                        explicit_source=s.explicit_source)
                for s in foreign.sessions if s.start is not None)
    if not out:
        return (), ""
    return out, ("log lines (its first line, a start or command line, a new process id, or a restart "
                 "after training work opens a session)")


# --------------------------------------------------------------------------- metrics


def _metrics(events: list[tuple[int, dict]], logs: list[tuple[str, int, float | None, str]]) -> tuple[MetricSeries, ...]:
    found: dict[tuple[str, str], list[MetricPoint]] = {}
    for f, _n, t, text in logs:
        for name, value, step in _line_metrics(text):
            found.setdefault((name, f), []).append(MetricPoint(t, step, float(value)))
    for _number, e in events:
        if e["event"] == "best_updated" and isinstance(e.get("value"), (int, float)) \
                and not isinstance(e.get("value"), bool):
            step = e.get("step") if isinstance(e.get("step"), int) else None
            name = f"best {e.get('metric', 'metric')}"
            found.setdefault((name, "events.jsonl (best_updated)"), []).append(
                MetricPoint(e["ts"], step, float(e["value"])))
    ranked = sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))[:MAX_SERIES]
    series = [MetricSeries(name, _is_validation(name), source, tuple(points))
              for (name, source), points in ranked]
    return tuple(sorted(series, key=lambda s: (s.validation, s.name, s.source)))


def _line_metrics(text: str) -> list[tuple[str, str, int | None]]:
    """(name, value, step) of each metric on a log line: ours first, else any name=value pair that is one."""
    if "loss." in text:
        ours = _OUR_METRIC_RE.findall(text)
        if ours:
            m = _OUR_STEP_RE.search(text)
            step = int(m.group(1)) if m else None
            return [(name if name.startswith(_VALIDATION_PREFIXES) else f"{name} loss", value, step)
                    for name, value in ours]
    pairs = [(name, value) for key, value in _PAIR_RE.findall(text) if (name := _metric_name(key))]
    if not pairs:
        return []
    m = _STEP_RE.search(text)
    step = int(m.group(1)) if m else None
    return [(name, value, step) for name, value in pairs]


def _metric_name(key: str) -> str | None:
    """`key` as a metric name (lower case, `_` for a space), or None when it names no metric."""
    name = key.lower().replace(" ", "_")
    if name in _METRIC_WORDS:
        return name
    prefix, _, rest = name.partition("_")
    if rest and (prefix in _VALIDATION_PREFIXES or (prefix in _TRAIN_PREFIXES and rest in _METRIC_WORDS)):
        return name
    return None


def _is_validation(name: str) -> bool:
    low = name.lower().removeprefix("best ")
    return low.startswith(_VALIDATION_PREFIXES)
