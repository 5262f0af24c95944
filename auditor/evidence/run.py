"""Run evidence: what a run directory shows about checkpoints, progress, heartbeat and resumes.

Our runs (docs/run-directory.md) are read through their JSON manifests and events.jsonl.
Foreign runs are read by name pattern; their checkpoint metadata (epoch, timestamp) is taken
from the torch zip's `data.pkl` (or a plain pickle file, or torch's legacy non-zip format)
by walking pickle opcodes with `pickletools.genops`: nothing is imported and no object is
built, so a malicious pickle cannot run, and torch is never needed. Cost grows with the
number of files, not their size: a checkpoint's bytes are read only to verify a sha256
(`verify=True`).
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Iterable

from auditor.evidence.checkpoints import LIGHTNING_PATTERNS, foreign_checkpoints, hf_checkpoints, our_checkpoints
from auditor.evidence.runfacts import BatchLog, Drill, EventRef, Gaps, Progress, RunEvidence
from auditor.evidence.runio import parse_time, present, read_json, read_lines, relative
from auditor.config import ProjectConfig
from auditor.runlayout import EVENTS_FILE, PROGRESS_JSON, PROGRESS_TXT, TRAIN_LOG
from auditor.drill.result import DrillRecordError, read_record, result_paths
from auditor.evidence.history import build_history
from auditor import safeio
from auditor.safeio import compile_pattern

_BATCH_RE = re.compile(r"\bbatch\b\s*[=:#]?\s*\d+|\bstep\b\s*[=:#]?\s*\d+", re.I)
_RESUME_LOG_RE = re.compile(r"\bresum(?:ed|ing)\b", re.I)


# --------------------------------------------------------------------------- helpers


def _gaps(times_by_session: list[tuple[float | None, list[tuple[float, str]]]], source: str) -> Gaps:
    gaps: list[float] = []
    firsts: list[float] = []
    largest_between = ("", "")
    largest = None
    count = 0
    for start, saves in times_by_session:
        saves = sorted(saves)
        count += len(saves)
        if start is not None and saves:
            firsts.append(saves[0][0] - start)
        for (t0, f0), (t1, f1) in zip(saves, saves[1:]):
            gap = t1 - t0
            gaps.append(gap)
            if largest is None or gap > largest:
                largest, largest_between = gap, (f0, f1)
    if not gaps and not firsts:
        return Gaps(count=count, source=source)
    return Gaps(count=count, gaps_s=tuple(round(g, 3) for g in gaps),
                largest_s=round(max(gaps), 3) if gaps else None,
                median_s=round(statistics.median(gaps), 3) if gaps else None,
                smallest_s=round(min(gaps), 3) if gaps else None,
                first_delay_s=round(max(firsts), 3) if firsts else None, source=source,
                largest_between=largest_between)


def _split_sessions(times: Iterable[tuple[float, str]], starts: list[float]) -> list[tuple[float | None, list]]:
    """Group (time, label) pairs by the session (list of start times) they fall in."""
    starts = sorted(starts)
    if not starts:
        return [(None, list(times))]
    groups: list[tuple[float | None, list]] = [(s, []) for s in starts]
    for t, label in times:
        index = 0
        for i, s in enumerate(starts):
            if t >= s:
                index = i
        groups[index][1].append((t, label))
    return groups


# --------------------------------------------------------------------------- collection


def collect(config: ProjectConfig, run_dir: Path | str | None, verify: bool = False) -> RunEvidence:
    """Read a run directory; `run_dir` None or missing gives `found=False` (no evidence)."""
    if run_dir is None:
        return RunEvidence(run_dir=None)
    run = Path(run_dir)
    if not run.is_absolute():
        run = config.root / run
    if not run.is_dir():
        return RunEvidence(run_dir=run, errors=(f"{run}: run directory does not exist",))
    ev = RunEvidence(run_dir=run, verified=verify)
    errors: list[str] = []
    events = _read_events(run, ev, errors)
    ours = our_checkpoints(run, verify, errors)
    patterns = list(config.checkpoint_patterns)
    epoch_re = compile_pattern(config.epoch_pattern)  # RE2: linear time, whatever the pattern
    taken = {c.file for c in ours}
    foreign = foreign_checkpoints(run, patterns + list(LIGHTNING_PATTERNS), epoch_re, taken, errors)
    hf, hf_log = hf_checkpoints(run, errors)
    foreign += hf
    ev.checkpoints = tuple(ours + foreign)
    ev.layout = "ours" if (ours and any(c.manifest for c in ours)) or events else ("foreign" if foreign else "none")
    logs = _read_logs(run, ev, errors)
    if hf_log.lines and not ev.batch_log.lines:
        ev.batch_log = BatchLog(hf_log.file, hf_log.lines, None, hf_log.example, ev.batch_log.logs_read)
    _sessions_and_resumes(ev, events, logs)
    _checkpoint_gaps(ev, events)
    _heartbeats(ev, events, logs)
    _progress(run, ev, events, logs, errors)
    ev.history = build_history(events, logs, ev.checkpoints, ev.heartbeats)
    ev.drill = _read_drill(config.root, run, errors)
    ev.found = bool(ev.checkpoints or events or ev.progress.exists or ev.batch_log.logs_read)
    ev.errors = tuple(errors)
    return ev


def _read_drill(project: Path, run: Path, errors: list[str]) -> Drill | None:
    """The drill result next to the run (`drill.json`), else the project's artifacts/drill/latest.json."""
    for path, base in result_paths(project, run):
        if not present(path) or path.is_dir():
            continue
        rel = relative(path, base)
        try:
            record = read_record(path, within=safeio.Root(base, "the run directory" if base == run else "the project"),
                                 shown=rel)
        except DrillRecordError as exc:
            errors.append(str(exc))
            continue
        resumed = record.check("resumed_from_newest")
        return Drill(rel, record.verdict, {c.id: c.verdict for c in record.checks}, record.kills, record.started_at,
                     resumed.evidence[:5] if resumed else ())
    return None


def _read_events(run: Path, ev: RunEvidence, errors: list[str]) -> list[tuple[int, dict]]:
    path = run / EVENTS_FILE
    if not present(path) or path.is_dir():
        return []
    ev.events_file = EVENTS_FILE
    out = []
    bad, deep = 0, 0
    try:
        for number, line in read_lines(path, run):
            if not line.strip():
                continue
            try:
                obj = safeio.parse_json(line, shown=f"events.jsonl:{number}")
            except safeio.ReadRefused as exc:
                deep += "nested deeper" in exc.why
                bad += 1  # a torn last line after a crash is expected; count the rest
                continue
            if isinstance(obj, dict) and isinstance(obj.get("event"), str):
                ts = obj.get("ts")
                obj["ts"] = float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else None
                out.append((number, obj))
    except safeio.READ_ERRORS as exc:  # a link out, a FIFO, no permission: one entry, the rest is judged
        errors.append(safeio.describe(exc, EVENTS_FILE))
        return out
    if deep:
        errors.append(f"events.jsonl: {deep} lines nested deeper than {safeio.JSON_DEPTH} levels, not read")
    if bad > 1:
        errors.append(f"events.jsonl: {bad} lines are not JSON")
    return out


def _read_logs(run: Path, ev: RunEvidence, errors: list[str]) -> list[tuple[str, int, float | None, str]]:
    """(file, line, time, text) of every line of train.log and *.log files in the run directory."""
    logs = sorted({*run.glob("*.log"), *run.glob("logs/*.log")}, key=lambda p: (p.name != TRAIN_LOG, p.name))
    out = []
    best: BatchLog | None = None
    for path in logs:
        rel = relative(path, run)
        count, first, example = 0, None, ""
        try:
            for number, line in read_lines(path, run):
                t = parse_time(line)
                out.append((rel, number, t, line))
                if _BATCH_RE.search(line) and "heartbeat" not in line.lower():
                    count += 1
                    if first is None:
                        first, example = number, line.strip()[:200]
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO, no permission: one entry for this log
            errors.append(safeio.describe(exc, rel))
            continue
        if count and (best is None or count > best.lines):
            best = BatchLog(rel, count, first, example)
    names = tuple(relative(p, run) for p in logs)
    ev.batch_log = BatchLog(best.file, best.lines, best.first_line, best.example, names) if best else BatchLog(
        logs_read=names)
    return out


def _sessions_and_resumes(ev: RunEvidence, events: list[tuple[int, dict]], logs: list) -> None:
    starts: list[EventRef] = []
    resumes: list[EventRef] = []
    scratch: list[EventRef] = []
    saved_before = False
    pending: EventRef | None = None  # a run_start after saves, waiting for its resumed_from
    mode = ""
    for number, e in events:
        name = e["event"]
        if name == "run_start":
            if pending is not None:
                scratch.append(pending)
            mode = str(e.get("resume", ""))
            ref = EventRef(EVENTS_FILE, number, e["ts"], f"run_start (resume={mode})", mode)
            starts.append(ref)
            pending = ref if saved_before else None
        elif name == "resumed_from":
            resumes.append(EventRef(EVENTS_FILE, number, e["ts"],
                                    f"resumed from {e.get('file')} at step {e.get('step')}", mode))
            pending = None
        elif name == "checkpoint_saved":
            if pending is not None:
                scratch.append(pending)
                pending = None
            saved_before = True
    if pending is not None:
        scratch.append(pending)
    if not events:  # foreign: the first timestamped log line starts the run; resumes from log lines
        timed = [(t, f, n) for f, n, t, _ in logs if t is not None]
        if timed:
            t, f, n = min(timed)
            starts.append(EventRef(f, n, t, "first log line"))
        for f, n, t, text in logs:
            if _RESUME_LOG_RE.search(text):
                resumes.append(EventRef(f, n, t, text.strip()[:160]))
        periodic = sorted((c for c in ev.checkpoints if c.kind == "periodic" and c.epoch is not None
                           and c.time is not None), key=lambda c: c.time)
        highest = None
        for c in periodic:
            if highest is not None and c.epoch < highest.epoch and c.epoch == 0:
                scratch.append(EventRef(c.file, 0, c.time, f"epoch 0 saved again after epoch {highest.epoch}"))
            if highest is None or c.epoch > highest.epoch:
                highest = c
    ev.sessions = tuple(starts)
    ev.resumes = tuple(resumes)
    ev.restarts_from_scratch = tuple(scratch)
    times = [r.ts for r in starts if r.ts is not None]
    ev.start_time = min(times) if times else None
    ends = [e["ts"] for _, e in events if e["ts"] is not None] + [f for _, _, f, _ in logs if f is not None]
    ev.end_time = max(ends) if ends else None


def _checkpoint_gaps(ev: RunEvidence, events: list[tuple[int, dict]]) -> None:
    starts = [s.ts for s in ev.sessions if s.ts is not None]
    saves = [(e["ts"], str(e.get("file"))) for _, e in events
             if e["event"] == "checkpoint_saved" and e.get("kind") == "periodic" and e["ts"] is not None]
    source = "checkpoint_saved events"
    if not saves:
        saves = [(c.time, c.file) for c in ev.periodic() if c.time is not None]
        sources = {c.time_source for c in ev.periodic()}
        source = "checkpoint times from " + "/".join(sorted(sources)) if sources else ""
        if not events and any(c.time_source == "mtime" for c in ev.periodic()):
            source += " (file times: a copy or checkout resets them)"
    ev.saves_recorded = len(saves)
    if events and starts:
        ev.gaps = _gaps(_split_sessions(saves, starts), source)
    else:
        ev.gaps = _gaps([(ev.start_time, saves)], source)
    with_epochs = sorted((c.time, c.epoch) for c in ev.periodic() if c.time is not None and c.epoch is not None)
    rates = [(t1 - t0) / (e1 - e0) for (t0, e0), (t1, e1) in zip(with_epochs, with_epochs[1:]) if e1 > e0 and t1 > t0]
    ev.epoch_seconds = round(statistics.median(rates), 3) if rates else None


def _heartbeats(ev: RunEvidence, events: list[tuple[int, dict]], logs: list) -> None:
    beats = [EventRef(EVENTS_FILE, n, e["ts"], "heartbeat") for n, e in events
             if e["event"] == "heartbeat" and e["ts"] is not None]
    source = "heartbeat events"
    if not beats:
        beats = [EventRef(f, n, t, text.strip()[:120]) for f, n, t, text in logs
                 if t is not None and "heartbeat" in text.lower()]
        source = "heartbeat log lines"
    ev.heartbeats = tuple(beats)
    starts = [s.ts for s in ev.sessions if s.ts is not None] if events else []
    ev.heartbeat_gaps = _gaps(_split_sessions([(b.ts, f"{b.file}:{b.line}") for b in beats], starts), source)


def _progress(run: Path, ev: RunEvidence, events: list[tuple[int, dict]], logs: list, errors: list[str]) -> None:
    files = [p for p in (PROGRESS_JSON, PROGRESS_TXT) if present(run / p) and not (run / p).is_dir()]
    files += [p.name for p in sorted(run.glob("*PROGRESS*")) if not p.is_dir() and p.name not in files]
    if not files:
        ev.progress = Progress(exists=False)
        return
    state = updated = beat = None
    if PROGRESS_JSON in files:
        try:
            data = read_json(run / PROGRESS_JSON, run)
            if isinstance(data, dict):
                state = data.get("state") if isinstance(data.get("state"), str) else None
                updated = data.get("updated_time") if isinstance(data.get("updated_time"), (int, float)) else None
                beat = data.get("heartbeat_time") if isinstance(data.get("heartbeat_time"), (int, float)) else None
        except safeio.READ_ERRORS as exc:
            errors.append(f"unreadable ({safeio.describe(exc, 'progress.json')})")
    else:
        try:
            for _, line in read_lines(run / files[0], run):
                if re.match(r"\s*(updated|last update)", line, re.I):
                    updated = parse_time(line)
        except safeio.READ_ERRORS as exc:
            errors.append(safeio.describe(exc, files[0]))
    # refresh times: our heartbeat rewrites progress.json; a foreign run's log may say when it wrote its file
    times = [(e["ts"], "heartbeat") for _, e in events if e["event"] == "heartbeat" and e["ts"] is not None]
    source = "heartbeat events (the heartbeat rewrites progress.json)"
    if not times:
        times = [(t, f"{f}:{n}") for f, n, t, text in logs if t is not None and "progress" in text.lower()]
        source = "log lines that report a progress-file update"
    starts = [s.ts for s in ev.sessions if s.ts is not None] if events else []
    gaps = _gaps(_split_sessions(times, starts), source) if times else Gaps()
    ev.progress = Progress(exists=True, file=files[0], files=tuple(files), state=state, updated_time=updated,
                           heartbeat_time=beat, cadence_s=gaps.largest_s, median_s=gaps.median_s,
                           cadence_source=source if times else "", samples=len(times))
