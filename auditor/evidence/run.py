"""Run evidence: what a run directory shows about checkpoints, progress, heartbeat and resumes.

Our runs (docs/run-directory.md) are read through their JSON manifests and events.jsonl.
A foreign run is read from what its trainer leaves: checkpoint files and folders by name
(auditor.evidence.checkpoints: step- and epoch-named files, checkpoint-N/ and checkpoint_N/
folders, .ckpt files, all periodic candidates), its logs (auditor.evidence.runlog: sessions
split at restarts, saves read from log lines, resumes told explicit or automatic, per-step
lines) and its side files (auditor.evidence.runside: heartbeat records, a progress or status
file, metrics.csv). Gaps are measured within sessions, never across a crash's downtime, and
the end-of-training save is not an interval gap. Every read goes through auditor.safeio;
checkpoint pickles are walked statically, never loaded (a checkpoint's bytes are read only to
verify a sha256, `verify=True`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from auditor import rxcache, safeio
from auditor.config import ProjectConfig
from auditor.drill.paths import result_paths
from auditor.evidence import checkpoints, launches, runlog, runmlflow, runside
from auditor.evidence.history import build_history
from auditor.evidence.checkpoints import (IN_PROGRESS_S, LIGHTNING_PATTERNS,  # noqa: F401 (re-exported)
                                          ForeignMetadata, read_checkpoint_metadata)
from auditor.evidence.runlog import LogLine, RunLog
from auditor.evidence.runfacts import (BatchLog, Checkpoint, Drill, EventRef, Gaps, Progress,  # noqa: F401
                                       RunEvidence)
from auditor.evidence.runio import present, read_lines, relative
from auditor.runfinder import PER_START_LOG, is_log_name, unrotated
from auditor.runlayout import CHECKPOINTS_DIR, EVENTS_FILE, TRAIN_LOG
from auditor.safeio import compile_pattern

_BATCH_RE = rxcache.compile(r"\bbatch\b\s*[=:#]?\s*\d+|\bstep\b\s*[=:#]?\s*\d+", re.I)
MAX_OWN_LOGS = 32  # a run folder's own logs read (one a session: a long-lived run restarted many times)
_WROTE = rxcache.compile(r"\b(?:updated|written|wrote|refreshed|rewritten|saved)\b", re.I)


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
                median_s=round(runlog.median(gaps), 3) if gaps else None,
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
    ours = checkpoints.our_checkpoints(run, verify, errors) if events or _has_manifests(run) else []
    taken = {c.file for c in ours} | ({c.manifest for c in ours if c.manifest} if ours else set())
    files, folders = checkpoints.candidates(run, list(config.checkpoint_patterns) + list(LIGHTNING_PATTERNS), taken)
    if ours:
        files = [f for f in files if f.parent != run / CHECKPOINTS_DIR]
    foreign = checkpoints.read_files(run, files, _epoch_pattern(config), errors)
    in_folders, hf_log = checkpoints.read_folders(run, folders, errors)
    ev.checkpoints = tuple(ours + foreign + in_folders)
    ev.layout = "ours" if (ours and any(c.manifest for c in ours)) or events else ("foreign" if ev.checkpoints
                                                                                 else "none")
    logs = _read_logs(config, run, errors)
    flat = [(x.file, x.line, x.time, x.text) for lines in logs.values() for x in lines]
    if events:
        _batch_lines_ours(ev, logs)
        _sessions_and_resumes(ev, events, flat)
    else:
        finals = tuple(c.file.rsplit("/", 1)[-1] for c in ev.checkpoints if c.kind == "final")
        launched = launches.read(run)  # Lightning's version_N/: one folder a launch
        ev.log = runlog.analyse(logs, run.name, finals, len(launched))
        ev.log.sessions = launches.with_launches(ev.log.sessions, launched, runlog.LogSession)
        ev.checkpoints = _kinds_from_log(ev.checkpoints, ev.log)
        _foreign_batch_lines(ev, run, logs, hf_log, errors, config.root)
        _foreign_sessions(ev, config.root)
    _checkpoint_gaps(ev, events)
    _heartbeats(ev, events, flat, run, errors)
    _progress(run, ev, events, flat, errors, config.root)
    ev.history = build_history(events, flat, ev.checkpoints, ev.heartbeats, foreign=None if events else ev.log)
    ev.drill = _read_drill(config.root, run, errors)
    ev.found = bool(ev.checkpoints or events or ev.progress.exists or ev.batch_log.logs_read)
    ev.errors = tuple(errors)
    return ev


def _kinds_from_log(found: tuple[Checkpoint, ...], log: RunLog) -> tuple[Checkpoint, ...]:
    """A file named for its step whose save line calls it the end-of-training (best, signalled) save
    is that, not one more periodic checkpoint (`saved .../step-001500.ckpt (end of training)`); a
    save taken for the end save only because the run's end follows it keeps its file's kind."""
    said = {s.target.rstrip("/").rsplit("/", 1)[-1]: s.kind for s in log.saves if s.kind != "periodic"
            and not s.placed}
    return tuple(replace(c, kind=said[name]) if c.kind == "periodic" and (name := c.file.rsplit("/", 1)[-1]) in said
                 else c for c in found)


def _has_manifests(run: Path) -> bool:
    folder = run / CHECKPOINTS_DIR
    try:
        return folder.is_dir() and any(p.suffix == ".json" for p in folder.iterdir())
    except OSError:
        return False


def _console_log(name: str) -> bool:
    """A console log by its name: `.log`, `.out`, JSON lines (`train.jsonl`), or text named a log or a captured
    stream (`log_1796315431.txt`, `train_log.txt`, `stdout.txt`: runfinder.is_log_name), or absl's / glog's
    file of one start (`train.host.user.log.INFO.20261203-204303.16894`); or a numbered rotation of one
    (`train.log.1`, RotatingFileHandler's and logrotate's older files)."""
    return any(n.endswith((".log", ".out", ".jsonl")) or (n.endswith(".txt") and is_log_name(n))
               for n in {name, unrotated(name)}) or bool(PER_START_LOG.search(name))


def _log_paths(config: ProjectConfig, run: Path) -> list[tuple[Path, str, safeio.Root]]:
    """(path, shown, root) of the run's logs: its own console logs (_console_log), those one folder down
    (logs/*.log, a session folder's `<stamp>/<stamp>.log`), the logs discovery found for it,
    and, for a run folder that keeps none, the project root's (`... 2>&1 | tee -a train.log`
    next to the script)."""
    inside, project = safeio.run_directory(run), safeio.project(config.root)
    own = sorted({p for p in [*run.glob("*"), *run.glob("*/*")] if _console_log(p.name)
                  and not runside.is_heartbeat(unrotated(p.name)) and not p.is_dir()},  # a FIFO or a link out: one error entry
                 key=lambda p: (p.name != TRAIN_LOG, len(p.parts), p.as_posix()))
    own = _one_name_a_file(own)[:MAX_OWN_LOGS]
    taken = {p.resolve() for p in own}
    out = [(p, relative(p, run), inside) for p in own]
    extra: list[str] = []
    for rd in config.discovery.run_dirs if config.discovery is not None else ():
        if (config.root / rd.path).resolve() == run.resolve():
            extra = list(rd.logs)
    # discovery lists the run's metrics files (metrics.csv) as its logs: they are read as such, not as a console log
    extra = [rel for rel in extra if not (config.root / rel).resolve().is_relative_to(run.resolve())]
    if not own and not extra and run.resolve() != config.root.resolve() and run.resolve().is_relative_to(
            config.root.resolve()):
        extra = [p.name for p in sorted(config.root.glob("*.log")) if not runside.is_heartbeat(p.name)]
    for rel in extra:
        path = config.root / rel
        if path.resolve() in taken or path.resolve().is_relative_to(run.resolve()) or runside.is_heartbeat(path.name):
            continue
        out.append((path, rel, project))
    return out


def _one_name_a_file(paths: list[Path]) -> list[Path]:
    """`paths` less the links to another of them (a `latest.log` pointing at a session's file is that file,
    read once); a link leading elsewhere stays, and reading it refuses it (one error entry)."""
    files = {p.resolve() for p in paths if not p.is_symlink()}
    linked: set[Path] = set()
    out = []
    for p in paths:
        if p.is_symlink():
            target = p.resolve()
            if target in files or target in linked:
                continue
            linked.add(target)
        out.append(p)
    return out


def _read_logs(config: ProjectConfig, run: Path, errors: list[str]) -> dict[str, list[LogLine]]:
    """file (as cited) -> its lines with their times."""
    logs: dict[str, list[LogLine]] = {}
    for path, shown, within in _log_paths(config, run):
        try:
            logs[shown] = runlog.read_log(path, within, shown)
        except FileNotFoundError:
            continue
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO, no permission: one entry for this log
            errors.append(safeio.describe(exc, shown))
    return logs


def _batch_lines_ours(ev: RunEvidence, logs: dict[str, list[LogLine]]) -> None:
    best: BatchLog | None = None
    for name, lines in logs.items():
        count, first, example = 0, None, ""
        for x in lines:
            if _BATCH_RE.search(x.text) and "heartbeat" not in x.text.lower():
                count += 1
                if first is None:
                    first, example = x.line, x.text.strip()[:200]
        if count and (best is None or count > best.lines):
            best = BatchLog(name, count, first, example)
    names = tuple(logs)
    ev.batch_log = BatchLog(best.file, best.lines, best.first_line, best.example, names) if best else BatchLog(
        logs_read=names)


def _foreign_batch_lines(ev: RunEvidence, run: Path, logs: dict[str, list[LogLine]], hf_log: Any,
                         errors: list[str], project: Path) -> None:
    """The richest source of per-step lines: a log, metrics.csv / JSON lines, an MLflow file store, or
    transformers' log_history."""
    names = tuple(logs)
    side = runside.metrics_batch_lines(run, errors)
    if not side.lines:
        names_on_disk = {c.file.rsplit("/", 1)[-1] for c in ev.checkpoints}
        side = max([side, runmlflow.batch_lines(project, run, names_on_disk, errors)],
                   key=lambda b: (b.lines, bool(b.file)))
    found = max([ev.log.batch, side], key=lambda b: b.lines)
    names += (side.file,) if side.file and side.file not in names else ()
    if found.lines:
        ev.batch_log = BatchLog(found.file, found.lines, found.first_line, found.example, names)
    elif hf_log.lines:
        ev.batch_log = BatchLog(hf_log.file, hf_log.lines, None, hf_log.example, names)
    elif side.file:  # read, and it shows per-epoch rows only: that line is the evidence
        ev.batch_log = BatchLog(side.file, 0, side.first_line, side.example, names)
    else:
        ev.batch_log = BatchLog(logs_read=names)


def _read_drill(project: Path, run: Path, errors: list[str]) -> Drill | None:
    """The drill result next to the run (`drill.json`), else the project's artifacts/drill/latest.json."""
    for path, base in result_paths(project, run):
        if not present(path) or path.is_dir():
            continue
        rel = relative(path, base)
        from auditor.drill.result import DrillRecordError, read_record  # here: only a run with a drill result

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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
    ev.sessions = tuple(starts)
    ev.resumes = tuple(resumes)
    ev.restarts_from_scratch = tuple(scratch)
    times = [r.ts for r in starts if r.ts is not None]
    ev.start_time = min(times) if times else None
    ends = [e["ts"] for _, e in events if e["ts"] is not None] + [f for _, _, f, _ in logs if f is not None]
    ev.end_time = max(ends) if ends else None
    ev.restarts = max(0, len(starts) - 1)


def _where(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return (file, int(line)) if line.isdigit() else (source, 0)


def _foreign_sessions(ev: RunEvidence, project: Path) -> None:
    """Sessions, resumes (explicit or automatic) and restarts from scratch, from a foreign run's log."""
    log = ev.log
    starts, resumes, scratch = [], [], []
    for n, s in enumerate(log.sessions):
        starts.append(EventRef(*_where(s.start_source), s.start, f"session {n + 1} starts"
                               + (f": {s.command}" if s.command else "")))
        if s.resumed_from:
            asked = s.explicit_resume or _resume_in_config(s.command, project)
            if not asked and not s.command and n == len(log.sessions) - 1 and ev.run_dir is not None:
                asked = _resume_in_run_args(ev.run_dir)
            mode = f"explicit: {asked}" if asked else ("auto" if s.command else "")
            resumes.append(EventRef(*_where(s.resume_source), s.resume_time, f"resumed from {s.resumed_from}", mode))
        if s.from_scratch:
            scratch.append(EventRef(*_where(s.start_source), s.start, "a restart began from scratch although "
                                                                       "checkpoints had been saved"))
    periodic = sorted((c for c in ev.checkpoints if c.kind == "periodic" and c.epoch is not None
                       and c.time is not None), key=lambda c: c.time)
    highest = None
    for c in periodic:
        if highest is not None and c.epoch < highest.epoch and c.epoch == 0:
            scratch.append(EventRef(c.file, 0, c.time, f"epoch 0 saved again after epoch {highest.epoch}"))
        if highest is None or c.epoch > highest.epoch:
            highest = c
    ev.sessions, ev.resumes, ev.restarts_from_scratch = tuple(starts), tuple(resumes), tuple(scratch)
    ev.restarts = max(0, len(log.sessions) - 1)
    times = [s.start for s in log.sessions if s.start is not None]
    ends = [s.end for s in log.sessions if s.end is not None]
    ev.start_time = min(times) if times else None
    ev.end_time = max(ends) if ends else None
    ev.step_seconds, ev.step_seconds_source = log.step_seconds, log.step_seconds_source


_CONFIG_ARG = rxcache.compile(r"(?:^|[\s=])([\w./-]+\.(?:ya?ml|json|toml))\b")
_CONFIG_RESUME = rxcache.compile(r"""^\s*["']?(resume\w*|ckpt_path|init_from|load_from|restore_from)["']?\s*[:=]\s*"""
                            r"""(?!null\b|None\b|none\b|false\b|False\b|~|""|''|,|$|\s*#|scratch\b|['"]?scratch)(.+)$""",
                            re.M)


def _resume_in_config(command: str, project: Path) -> str:
    """A resume path or flag set in a configuration file the recorded command names (`--config demo.yaml`)."""
    for name in _CONFIG_ARG.findall(command or "")[:3]:
        try:
            text = safeio.read_text(project / name, within=safeio.project(project), cap=1024 * 1024, shown=name)
        except (FileNotFoundError, *safeio.READ_ERRORS):
            continue
        m = _CONFIG_RESUME.search(text)
        if m:
            return f"{m.group(1)}: {m.group(2).strip()[:60]} ({name}:{text.count(chr(10), 0, m.start()) + 1})"
    return ""


# the arguments a trainer writes into its run folder at every start (timm's args.yaml,
# LightningCLI's config.yaml): the file holds the latest start's, so it tells how the last session began
_RUN_ARGS = ("args.yaml", "args.yml", "args.json", "config.yaml", "config.yml", "config.json")


def _resume_in_run_args(run: Path) -> str:
    """A resume path or flag in the arguments file the last start wrote into the run folder."""
    for name in _RUN_ARGS:
        try:
            text = safeio.read_text(run / name, within=safeio.run_directory(run), cap=1024 * 1024, shown=name)
        except (FileNotFoundError, *safeio.READ_ERRORS):
            continue
        m = _CONFIG_RESUME.search(text)
        if m:
            return f"{m.group(1)}: {m.group(2).strip()[:60]} ({name}:{text.count(chr(10), 0, m.start()) + 1})"
    return ""


def _checkpoint_gaps(ev: RunEvidence, events: list[tuple[int, dict]]) -> None:
    if events:
        _our_gaps(ev, events)
    else:
        _foreign_gaps(ev)
    with_epochs = sorted((c.time, c.epoch) for c in ev.periodic() if c.time is not None and c.epoch is not None)
    rates = [(t1 - t0) / (e1 - e0) for (t0, e0), (t1, e1) in zip(with_epochs, with_epochs[1:]) if e1 > e0 and t1 > t0]
    ev.epoch_seconds = round(runlog.median(rates), 3) if rates else ev.log.epoch_seconds


def _our_gaps(ev: RunEvidence, events: list[tuple[int, dict]]) -> None:
    starts = [s.ts for s in ev.sessions if s.ts is not None]
    saves = [(e["ts"], str(e.get("file"))) for _, e in events
             if e["event"] == "checkpoint_saved" and e.get("kind") == "periodic" and e["ts"] is not None]
    source = "checkpoint_saved events"
    if not saves:
        saves = [(c.time, c.file) for c in ev.periodic() if c.time is not None]
        sources = {c.time_source for c in ev.periodic()}
        source = "checkpoint times from " + "/".join(sorted(sources)) if sources else ""
    ev.saves_recorded = len(saves)
    ev.gaps = _gaps(_split_sessions(saves, starts), source) if starts else _gaps([(ev.start_time, saves)], source)


def _foreign_gaps(ev: RunEvidence) -> None:
    """Gaps between periodic saves within each session: the save lines' times, else the files' times,
    else (saves logged without times) steps between saves times the measured seconds per step."""
    log = ev.log
    sessions = log.sessions
    logged = [s for s in log.saves if s.kind == "periodic"]
    ev.saves_recorded = len(logged)
    groups: list[tuple[float | None, list[tuple[float, str]]]] = [(s.start, []) for s in sessions] or [(None, [])]

    def add(index: int | None, t: float, label: str) -> None:
        groups[index if index is not None and index < len(groups) else 0][1].append((t, label))

    timed = [s for s in logged if s.time is not None]
    if timed:
        for s in timed:
            add(_session_of_line(log, s), s.time, s.where)
        ev.gaps = _gaps(groups, "save lines in the log (" + ", ".join(sorted({s.file for s in timed})) + ")")
        return
    if logged and log.step_seconds and all(s.step is not None for s in logged):
        estimated: list[tuple[float | None, list[tuple[float, str]]]] = [(None, []) for _ in groups]
        for s in logged:
            index = _session_of_line(log, s) or 0
            estimated[min(index, len(estimated) - 1)][1].append((s.step * log.step_seconds, s.where))
        ev.gaps = _gaps(estimated, f"estimated: steps between the logged saves x {log.step_seconds:g} s a step "
                                   f"({log.step_seconds_source})")
        return
    files = [(c.time, c.file) for c in ev.periodic() if c.time is not None]  # not a file the log calls the end save
    if logged and len(files) < 2:  # the files' times say nothing more (one file overwritten, or none kept)
        ev.gaps = Gaps(count=len(logged), source="save lines in the log, without times")
        return
    for t, name in files:
        add(runlog.session_index(sessions, t), t, name)
    sources = sorted({c.time_source for c in ev.periodic()})
    source = "checkpoint times from " + "/".join(sources) if sources else ""
    if "mtime" in sources:
        source += " (file times: a copy or checkout resets them)"
    if logged:
        source += "; the log's save lines carry no time"
    ev.saves_recorded = len(files)
    ev.gaps = _gaps(groups, source)


def _session_of_line(log: RunLog, save: Any) -> int | None:
    index = log.index_of(save.file, save.line)
    if index is not None:
        for n, s in enumerate(log.sessions):
            if s.first <= index <= s.last:
                return n
    return runlog.session_index(log.sessions, save.time)


def _heartbeats(ev: RunEvidence, events: list[tuple[int, dict]], logs: list, run: Path, errors: list[str]) -> None:
    if events:
        beats = [EventRef(EVENTS_FILE, n, e["ts"], "heartbeat") for n, e in events
                 if e["event"] == "heartbeat" and e["ts"] is not None]
        ev.heartbeats = tuple(beats)
        starts = [s.ts for s in ev.sessions if s.ts is not None]
        ev.heartbeat_gaps = _gaps(_split_sessions([(b.ts, f"{b.file}:{b.line}") for b in beats], starts),
                                  "heartbeat events")
        return
    records = runside.read_beats(run, errors)
    starts = [s.start for s in ev.log.sessions if s.start is not None]
    if records:
        ev.heartbeats = tuple(EventRef(b.file, b.line, b.time, f"heartbeat record (pid {b.pid})" if b.pid
                                       else "heartbeat record") for b in records)
        by_pid = runside.beat_sessions(records)
        groups = [(g[0].time, [(b.time, f"{b.file}:{b.line}") for b in g]) for g in by_pid] if len(by_pid) > 1 \
            else _split_sessions([(b.time, f"{b.file}:{b.line}") for b in records], starts)
        how = "a new process id starts a session" if len(by_pid) > 1 else "split at the log's sessions"
        ev.heartbeat_gaps = _gaps(groups, f"heartbeat records in {', '.join(sorted({b.file for b in records}))} ({how})")
        return
    beats = [EventRef(f, n, t, text.strip()[:120]) for f, n, t, text in logs
             if t is not None and runside.heartbeat_line(text)]
    if beats:
        ev.heartbeats = tuple(beats)
        ev.heartbeat_gaps = _gaps(_split_sessions([(b.ts, f"{b.file}:{b.line}") for b in beats], starts),
                                  "heartbeat log lines")
        return
    touched = runside.touched_files(run)  # no record but the file's mtime: one record each
    ev.heartbeats = tuple(EventRef(b.file, 0, b.time, "the heartbeat file's mtime, its only record "
                                                       "(a copy or checkout resets it)") for b in touched)
    ev.heartbeat_gaps = _gaps([(None, [(b.time, b.file)]) for b in touched], "heartbeat files' mtimes")


def _progress(run: Path, ev: RunEvidence, events: list[tuple[int, dict]], logs: list, errors: list[str],
              project: Path) -> None:
    found = runside.read_progress(run, errors)
    if found is None and not events and run.resolve() != project.resolve() and run.resolve().is_relative_to(
            project.resolve()):  # a run folder that keeps none: the trainer's, in its working directory
        found = runside.read_progress(project, errors)
    if found is None:
        ev.progress = Progress(exists=False)
        return
    if events:  # our heartbeat rewrites progress.json
        times = [(e["ts"], "heartbeat") for _, e in events if e["event"] == "heartbeat" and e["ts"] is not None]
        source = "heartbeat events (the heartbeat rewrites progress.json)"
        starts = [s.ts for s in ev.sessions if s.ts is not None]
        gaps = _gaps(_split_sessions(times, starts), source) if times else Gaps()
    elif found.carries_heartbeat and ev.heartbeats:
        times = [(b.ts, f"{b.file}:{b.line}") for b in ev.heartbeats]
        source = (f"the heartbeat rewrites {found.file} (it carries the heartbeat's time): "
                  + ev.heartbeat_gaps.source)
        gaps = ev.heartbeat_gaps
    else:  # a foreign log may say when it rewrote the file ("PROGRESS.txt updated")
        names = {n.lower() for n in found.files} | {"progress"}
        times = [(t, f"{f}:{n}") for f, n, t, text in logs if t is not None and _WROTE.search(text)
                 and any(name in text.lower() for name in names)]
        source = f"log lines that report a {found.file} update"
        starts = [s.start for s in ev.log.sessions if s.start is not None]
        gaps = _gaps(_split_sessions(times, starts), source) if times else Gaps()
    ev.progress = Progress(exists=True, file=found.file, files=found.files, state=found.state,
                           updated_time=found.updated_time, heartbeat_time=found.heartbeat_time,
                           cadence_s=gaps.largest_s, median_s=gaps.median_s, cadence_source=source if times else "",
                           samples=len(times), line=found.updated_line)


def _epoch_pattern(config: ProjectConfig) -> re.Pattern[str] | object:
    """The pattern epoch numbers are read from checkpoint names with: a user's setting runs on RE2
    (linear time, safeio.compile_pattern); the default is the auditor's own, compiled as its others."""
    if config.epoch_pattern == ProjectConfig.epoch_pattern:
        return rxcache.compile(config.epoch_pattern)
    return compile_pattern(config.epoch_pattern)
