"""The run in time: its sessions, every save, its heartbeats and its metric series.

Built from what `auditor.evidence.run` has already read (events.jsonl, the log lines, the
checkpoints found); nothing here opens a file. Our runs are read from their events; a
foreign run from its log lines and checkpoint times, with simple patterns (a "starting
training" or "resuming from" line opens a session, a "finished" line closes one). Where a
fact is missing the field is empty and says why, never guessed: a session whose end was not
recorded is `killed` only when another session follows it, else `open`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Iterable

# a session of a foreign run starts at such a line, or at a resume line
_START_RE = re.compile(r"\b(start(?:ing|ed)?\s+(?:the\s+)?(?:training|run)\b|training\s+start(?:s|ed)?\b)", re.I)
_RESUME_RE = re.compile(r"\bresum(?:ed|ing)\b", re.I)
_END_RE = {
    "finished": re.compile(r"\b(training|run)\s+(finished|complete[d]?|done)\b|\bfinished\s+training\b", re.I),
    "preempted": re.compile(r"\b(preempt(?:ed|ion)?|SIGTERM|SIGINT|time limit reached)\b", re.I),
    "failed": re.compile(r"\b(Traceback \(most recent call last\)|training failed|fatal error)\b", re.I),
}
_RESUME_FILE_RE = re.compile(r"""(?:from|checkpoint)\s+['"]?([^\s'",()]+\.(?:pt|pth|ckpt|bin|safetensors))""", re.I)
_STEP_RE = re.compile(r"\b(?:global_step|step|iteration|iter)\b\s*[=:#]?\s*(\d+)", re.I)
# our train.log: loss.<name>=<value> and step=<n>; a foreign log: name=value or name: value pairs whose
# name is a metric (loss=0.12, val_loss: 0.3, val acc=0.9, eval_bleu=...), picked in _metric_name
_OUR_METRIC_RE = re.compile(r"(?<![\w.])loss\.([A-Za-z_][\w.]*)=(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_OUR_STEP_RE = re.compile(r"\bstep=(\d+)")
_PAIR_RE = re.compile(r"(?<![\w.])([A-Za-z][A-Za-z_]*(?: (?:loss|acc|accuracy))?)\s*[=:]\s*"
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


@dataclass(frozen=True)
class Beat:
    time: float
    source: str


@dataclass(frozen=True)
class MetricPoint:
    time: float | None
    step: int | None
    value: float


@dataclass(frozen=True)
class MetricSeries:
    name: str
    validation: bool
    source: str  # the file (or event) the values were read from
    points: tuple[MetricPoint, ...]


@dataclass(frozen=True)
class RunHistory:
    saves: tuple[Save, ...] = ()
    saves_source: str = ""
    sessions: tuple[Session, ...] = ()
    sessions_source: str = ""
    beats: tuple[Beat, ...] = ()
    beats_source: str = ""
    metrics: tuple[MetricSeries, ...] = ()


def build_history(events: list[tuple[int, dict]], logs: list[tuple[str, int, float | None, str]],
                  checkpoints: Iterable[Any], heartbeats: Iterable[Any]) -> RunHistory:
    """The run's history from its events (ours) or its log lines and checkpoints (foreign)."""
    checkpoints = tuple(checkpoints)
    saves, saves_source = _saves(events, checkpoints)
    if events:
        sessions, sessions_source = _our_sessions(events), "events.jsonl (run_start, resumed_from, run_end)"
    else:
        sessions, sessions_source = _log_sessions(logs, saves)
    beats = tuple(Beat(h.ts, f"{h.file}:{h.line}") for h in heartbeats if h.ts is not None)
    beats_source = "heartbeat events" if events else "heartbeat log lines"
    if not beats:
        beats = tuple(Beat(t, f"{f}:{n}") for f, n, t, text in logs if t is not None and "progress" in text.lower())
        beats_source = "log lines that report a progress update" if beats else ""
    return RunHistory(saves, saves_source, sessions, sessions_source, beats, beats_source,
                      _metrics(events, logs))


# --------------------------------------------------------------------------- saves


def _saves(events: list[tuple[int, dict]], checkpoints: tuple[Any, ...]) -> tuple[tuple[Save, ...], str]:
    on_disk = {c.file: c for c in checkpoints}
    saves: list[Save] = []
    recorded: set[str] = set()
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
    source = "checkpoint_saved events" if saves else ""
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


def _log_sessions(logs: list[tuple[str, int, float | None, str]],
                  saves: tuple[Save, ...]) -> tuple[tuple[Session, ...], str]:
    timed = sorted(((t, f, n, text) for f, n, t, text in logs if t is not None), key=lambda x: (x[0], x[1], x[2]))
    if not timed:
        return (), ""
    save_times = sorted(s.time for s in saves)
    starts: list[dict[str, Any]] = []
    worked = False  # the current session has logged training or a save since it started
    for t, f, n, text in timed:
        where = f"{f}:{n}"
        resume = _RESUME_RE.search(text)
        if not starts or _START_RE.search(text) or (resume and (worked or "resumed_from" in starts[-1])):
            starts.append({"start": t, "start_source": where})
            worked = False
        if resume and "resumed_from" not in starts[-1]:
            found = _RESUME_FILE_RE.search(text)
            starts[-1].update(resumed_from=found.group(1) if found else text.strip()[:120], resume_time=t,
                              resume_source=where)
        elif not worked and (bisect.bisect_right(save_times, t) > bisect.bisect_right(save_times, starts[-1]["start"])
                             or "saved" in text.lower() or _line_metrics(text)):
            worked = True
    times = [x[0] for x in timed]
    out: list[Session] = []
    for i, s in enumerate(starts):
        following = starts[i + 1]["start"] if i + 1 < len(starts) else None
        lo = bisect.bisect_left(times, s["start"])
        hi = bisect.bisect_left(times, following) if following is not None else len(timed)
        end_t, end_f, end_n, _ = timed[hi - 1] if hi > lo else (s["start"], "", 0, "")
        ended = "killed" if following is not None else "open"
        end_source = f"{end_f}:{end_n}" if end_f else s["start_source"]
        for _t, f, n, text in reversed(timed[max(lo, hi - 5):hi]):
            kind = next((k for k, rx in _END_RE.items() if rx.search(text)), None)
            if kind:
                ended, end_source = kind, f"{f}:{n}"
                break
        out.append(Session(end=end_t, ended=ended, end_source=end_source, **s))
    return tuple(out), "log lines (a start or resume line opens a session)"


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
