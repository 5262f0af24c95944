"""A foreign run's side files: heartbeat records, its progress (status) file, Lightning's
metrics.csv and JSON-lines metrics.

- Heartbeat records: a file named for the heartbeat (`heartbeat.log`, `heartbeat.jsonl`,
  `heartbeat.txt`), one record a line with its time and, often, the writer's process id; a
  new process id starts a new session, so no gap is measured across a crash's downtime. A
  JSON file that is one document (`alive.json` rewritten in place) is one record, its time
  the heartbeat or update time it holds, whatever other times it carries (`started`).
- Heartbeat lines in a log: a line that reports a beat (`heartbeat step=20 pid=411`,
  `[heartbeat] alive`), not one that echoes a setting named for it (`Namespace(...,
  heartbeat_interval=30.0)`, `--heartbeat-interval 30`, `heartbeat every 30s`).
- A progress file is one rewritten in place with the current state, whatever its name:
  `progress.json`, `PROGRESS.txt`, `status.json`, `state.json`, or any JSON document in the
  run folder that holds a step (or epoch) and the time it was written (a watchdog's
  `alive.json`), else the newest launch folder's (Lightning's `version_N/status.json`, written
  into the launch's log_dir); a run folder that keeps none has the one its trainer writes into
  the project root, its working directory (`metrics.json` beside `models/`). Its last update time and state are read; when it carries a heartbeat time
  (`heartbeat_at`), the heartbeat rewrites it, so its refresh cadence is the heartbeat's.
- metrics.csv (Lightning's CSVLogger), progress.csv (stable-baselines3's logger, a row per
  dump: per PPO iteration, per `log_interval` episodes): per-step rows are rows of a training metric of which an
  epoch has several; one row per epoch is per-epoch logging. JSON lines with a loss and a step
  are per-step lines.

Every read goes through auditor.safeio, confined to the run directory.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import rxcache, safeio
from auditor.evidence.launches import launch_folders
from auditor.evidence.runlog import BatchLines, LogLine, read_log
from auditor.evidence.steplines import is_step_record, json_object
from auditor.evidence.timestamps import parse as parse_time
from auditor.runlayout import EVENTS_FILE, PROGRESS_JSON, PROGRESS_TXT

MAX_SIDE_BYTES = 64 * 1024 * 1024
_PROGRESS_NAME = rxcache.compile(r"^(?:progress|status|state|run_status|train(?:ing)?_status|run_state)[\w.-]*\."
                            r"(?:json|txt|yaml|yml)$|PROGRESS", re.I)
_HEARTBEAT_NAME = rxcache.compile(r"heartbeat|liveness|alive", re.I)
_PID = rxcache.compile(r"\bpid\W{0,3}(\d+)", re.I)
_UPDATED_KEYS = ("updated_time", "updated", "updated_at", "last_update", "touched", "time", "timestamp", "ts")
_HEARTBEAT_KEYS = ("heartbeat_time", "heartbeat_at", "last_heartbeat", "heartbeat")
_STATE_KEYS = ("state", "status", "phase")
_VALIDATION = rxcache.compile(r"^(?:val|valid|validation|eval|test)(?:\b|[_/])", re.I)
_NOT_METRIC = {"epoch", "step", "global_step", "lr", "learning_rate", "time", "timestamp", "created_at"}


@dataclass(frozen=True)
class Beat:
    """One heartbeat record of a foreign run: where it was read (line 0: a file's mtime), its time and process id."""

    file: str
    line: int
    time: float
    pid: str = ""


def is_heartbeat(name: str) -> bool:
    return bool(_HEARTBEAT_NAME.search(name))


# the word, not a part of an identifier or option (`heartbeat_interval`, `--heartbeat-interval`), nor
# of a path (`-> runs/x/heartbeat`, `out\\heartbeat.json`: a file's name, not a beat)
_BEAT_WORD = rxcache.compile(r"(?<![\w/\\-])heartbeats?(?![\w-]|\.\w)", re.I)
# what a setting puts after it: a number (`heartbeat=30`, `'heartbeat': 30`), its period (`every 30s`)
# or its file (`heartbeat file: runs/x/heartbeat.json`)
_BEAT_SETTING = rxcache.compile(r"\A['\"]?\s*(?:[=:]\s*['\"]?-?\d|(?:every|interval|period)\b|"
                                r"(?:file|path)\s*(?:[=:]|->))", re.I)


def heartbeat_line(text: str) -> bool:
    """A log line that reports a heartbeat, not one that names a heartbeat setting or file."""
    return any(not _BEAT_SETTING.match(text[m.end():]) for m in _BEAT_WORD.finditer(text))


# a record's time as `time.time()` prints it, first on its line: Unix seconds (2001-2099), or milliseconds
_UNIX_LEAD = rxcache.compile(r"\A\W{0,2}(\d{10}(?:\.\d+)?|\d{13})(?![\d.])")
_UNIX_RANGE = (1e9, 4.1e9)


def unix_time_lead(text: str) -> float | None:
    """The Unix time a heartbeat record starts with, or that its JSON object holds under a time key."""
    m = _UNIX_LEAD.match(text)
    if m:
        t = float(m.group(1)) / (1000 if len(m.group(1)) == 13 else 1)
        return t if _UNIX_RANGE[0] <= t < _UNIX_RANGE[1] else None
    obj = json_object(text)
    key = next((k for k in _HEARTBEAT_KEYS + _UPDATED_KEYS if obj and _time_value(obj.get(k)) is not None), None)
    return _time_value(obj[key]) if key else None


def heartbeat_files(run: Path) -> list[Path]:
    # not only regular files: a FIFO or a link out is listed, and refused with a reason when read
    return [p for p in sorted(run.iterdir()) if not p.is_dir() and _HEARTBEAT_NAME.search(p.name)
            and p.suffix in (".log", ".jsonl", ".txt", ".json", "")]


def read_beats(run: Path, errors: list[str]) -> list[Beat]:
    """Every timed record of the run's heartbeat files, in file order."""
    out: list[Beat] = []
    inside = safeio.run_directory(run)
    for path in heartbeat_files(run):
        rel = path.relative_to(run).as_posix()
        document = _json_document(path, inside, rel) if path.suffix == ".json" else None
        if document is not None:
            out += _document_beat(rel, *document)
            continue
        try:
            lines = read_log(path, inside, rel)
        except safeio.READ_ERRORS as exc:
            errors.append(safeio.describe(exc, rel))
            continue
        for x in lines:
            t = x.time if x.time is not None else unix_time_lead(x.text)
            if t is not None:
                pid = _PID.search(x.text)
                out.append(Beat(rel, x.line, t, pid.group(1) if pid else ""))
    return out


MAX_DOCUMENT_BYTES = 1024 * 1024  # a status document rewritten in place is small; a longer file is read as lines


def _json_document(path: Path, inside: safeio.Root, rel: str) -> tuple[dict, str] | None:
    """(the object, its text) of a file holding one JSON object, else None (JSON lines, anything else)."""
    try:
        text = safeio.read_text(path, within=inside, cap=MAX_DOCUMENT_BYTES, shown=rel)
        data = safeio.parse_json(text, shown=rel)
    except safeio.READ_ERRORS:  # not one document: read line by line (which reports a bad file)
        return None
    return (data, text) if isinstance(data, dict) else None


def _document_beat(rel: str, data: dict, text: str) -> list[Beat]:
    key = next((k for k in _HEARTBEAT_KEYS + _UPDATED_KEYS if _time_value(data.get(k)) is not None), None)
    if key is None:
        return []
    pid = next((str(data[k]) for k in ("pid", "trainer_pid", "process_id") if _is_count(data.get(k))), "")
    return [Beat(rel, _line_of(text, f'"{key}"') or 1, _time_value(data[key]), pid)]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def touched_files(run: Path) -> list[Beat]:
    """A heartbeat file's mtime as its one record, for files that keep no timed record (an empty
    file touched by the trainer): one record a file, so no period is ever measured from them."""
    out = []
    for path in heartbeat_files(run):
        try:
            info = path.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            out.append(Beat(path.relative_to(run).as_posix(), 0, info.st_mtime))
    return out


def beat_sessions(beats: list[Beat]) -> list[list[Beat]]:
    """Beats grouped by writer: a new process id is a new session (in file order)."""
    groups: list[list[Beat]] = []
    for b in beats:
        if not groups or (b.pid and groups[-1][-1].pid and b.pid != groups[-1][-1].pid) \
                or b.file != groups[-1][-1].file:
            groups.append([])
        groups[-1].append(b)
    return groups


# --------------------------------------------------------------------------- the progress file


@dataclass(frozen=True)
class ProgressFile:
    """A foreign run's progress file as read: its name among those found, its state, update and heartbeat times."""

    file: str
    files: tuple[str, ...]
    state: str | None = None
    updated_time: float | None = None
    heartbeat_time: float | None = None
    updated_line: int | None = None
    carries_heartbeat: bool = False  # it holds a heartbeat time: the heartbeat rewrites it


def progress_files(run: Path, under: str = "") -> list[str]:
    """The progress files of the run folder (or of its folder `under`), relative to the run."""
    folder = run / under if under else run
    names = [p.name for p in sorted(folder.iterdir()) if not p.is_dir() and _PROGRESS_NAME.search(p.name)
             and not _HEARTBEAT_NAME.search(p.name) and not p.name.endswith(".tmp")
             and p.name not in _METRICS_CSV]  # a logger's CSV gains a row a dump: a log, not rewritten in place
    ours = [n for n in (PROGRESS_JSON, PROGRESS_TXT) if n in names]
    return [f"{under}/{n}" if under else n for n in ours + [n for n in names if n not in ours]]


def _in_launches(run: Path) -> list[str]:
    """The progress files of the newest launch folder that has one (Lightning's version_N/: a
    callback writes its status file into the launch's log_dir)."""
    return next((names for p in reversed(launch_folders(run)) if (names := progress_files(run, p.name))), [])


MAX_PROGRESS_CANDIDATES = 16  # JSON files of the run folder opened to see whether one is a progress file
_COUNTER_KEYS = ("step", "global_step", "iteration", "iter", "epoch", "episode", "batch", "chunk")


def progress_by_content(run: Path) -> list[str]:
    """JSON documents in the run folder holding a step (or epoch) and the time they were written:
    a progress file under another name (a watchdog's `alive.json`)."""
    inside = safeio.run_directory(run)
    found = []
    names = [p.name for p in sorted(run.iterdir()) if p.suffix == ".json" and p.name != EVENTS_FILE and not p.is_dir()]
    for name in names[:MAX_PROGRESS_CANDIDATES]:
        document = _json_document(run / name, inside, name)
        if document is None:
            continue
        data = document[0]
        if any(_is_count(data.get(k)) for k in _COUNTER_KEYS) and any(
                _time_value(data.get(k)) is not None for k in _UPDATED_KEYS + _HEARTBEAT_KEYS):
            found.append(name)
    return found


# a word of a key (`train_loss`, `val_acc`, `pct_done`) that names progress
_PROGRESS_WORDS = frozenset(("acc", "accuracy", "metric", "metrics", "progress", "percent", "pct", "eta", "done",
                             "remaining", "total", "samples", "tokens"))


def _progress_key(key: Any) -> bool:
    k = str(key).lower()
    return k in _COUNTER_KEYS or k in _STATE_KEYS or k in _UPDATED_KEYS or k in _HEARTBEAT_KEYS \
        or "loss" in k or not _PROGRESS_WORDS.isdisjoint(re.split(r"[\W_]+", k))


def holds_progress(run: Path, name: str) -> bool:
    """A file named like a progress file holds progress: a JSON object with a counter, a state, a loss
    or metric, or its update time (at its top or one level down). One of identifiers alone (a tracker's
    run and experiment ids, written once to reopen the run) is no progress file; any other file is."""
    if not name.endswith(".json"):
        return True
    document = _json_document(run / name, safeio.run_directory(run), name)
    if document is None:
        return True
    data = document[0]
    inner = [k for v in data.values() if isinstance(v, dict) for k in v]
    return any(_progress_key(k) for k in [*data, *inner])


def read_progress(run: Path, errors: list[str]) -> ProgressFile | None:
    names = [n for n in progress_files(run) if holds_progress(run, n)] or progress_by_content(run) \
        or _in_launches(run)
    if not names:
        return None
    name = names[0]
    inside = safeio.run_directory(run)
    state = updated = beat = None
    line = None
    carries = False
    try:
        text = safeio.read_text(run / name, within=inside, cap=MAX_SIDE_BYTES, shown=name)
    except safeio.READ_ERRORS as exc:
        errors.append(f"unreadable ({safeio.describe(exc, name)})")
        return ProgressFile(name, tuple(names))
    data: Any = None
    if name.endswith(".json"):
        try:
            data = safeio.parse_json(text, shown=name)
        except safeio.ReadRefused as exc:
            errors.append(str(exc))
    if isinstance(data, dict):
        state = next((data[k] for k in _STATE_KEYS if isinstance(data.get(k), str)), None)
        updated = next((t for k in _UPDATED_KEYS if (t := _time_value(data.get(k))) is not None), None)
        beat = next((t for k in _HEARTBEAT_KEYS if (t := _time_value(data.get(k))) is not None), None)
        carries = any(k in data for k in _HEARTBEAT_KEYS)
        key = next((k for k in _UPDATED_KEYS + _HEARTBEAT_KEYS if k in data), None)
        line = _line_of(text, f'"{key}"') if key else None
    else:
        for number, raw in enumerate(text.splitlines(), start=1):
            key, _, value = raw.partition(":")
            key = key.strip().lower()
            if key in _STATE_KEYS and value.strip():
                state = value.strip()
            elif re.match(r"(updated|last update|time)", key) and parse_time(value):
                updated, line = parse_time(value), number
    return ProgressFile(name, tuple(names), state, updated, beat, line, carries)


def _time_value(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e8:
        return float(value)
    if isinstance(value, str):
        return parse_time(value)
    return None


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


# --------------------------------------------------------------------------- metrics files


_JSON_LINES_NAME = rxcache.compile(r"\.jsonl$|^(?:scalars|metrics|history|log|train(?:ing)?_log)[\w-]*\.json$", re.I)
# Lightning's CSVLogger's metrics.csv; stable-baselines3's (and RLlib's) logger's progress.csv, a row per dump
_METRICS_CSV = ("metrics.csv", "progress.csv")
SIDE_DEPTH = 6  # folders below the run searched for metrics files (a session folder's vis_data/ is two)
MAX_SIDE_FILES = 20


def _metrics_files(run: Path) -> tuple[list[Path], list[Path]]:
    """(metrics.csv files, JSON-lines files) down to SIDE_DEPTH folders below the run, the first
    MAX_SIDE_FILES of each in name order; symlinked folders are not followed."""
    csvs: list[Path] = []
    jsonl: list[Path] = []
    for folder, dirs, files in os.walk(run):
        depth = len(Path(folder).relative_to(run).parts)
        dirs[:] = sorted(d for d in dirs if depth < SIDE_DEPTH and not d.startswith("."))
        for name in sorted(files):
            if name in _METRICS_CSV:
                csvs.append(Path(folder) / name)
            elif _JSON_LINES_NAME.search(name) and not (depth == 0 and name == EVENTS_FILE) \
                    and not _HEARTBEAT_NAME.search(name):
                jsonl.append(Path(folder) / name)
    return sorted(csvs)[:MAX_SIDE_FILES], sorted(jsonl)[:MAX_SIDE_FILES]


def metrics_batch_lines(run: Path, errors: list[str]) -> BatchLines:
    """Per-step rows of Lightning metrics.csv files, or per-step JSON lines (`*.jsonl`, a
    `scalars.json` of JSON lines), the richest file."""
    best = BatchLines()
    inside = safeio.run_directory(run)
    csvs, jsonl = _metrics_files(run)
    for path in csvs:
        rel = path.relative_to(run).as_posix()
        try:
            found = _csv_step_rows(safeio.read_text(path, within=inside, cap=MAX_SIDE_BYTES, shown=rel), rel)
        except safeio.READ_ERRORS as exc:
            errors.append(safeio.describe(exc, rel))
            continue
        if found.lines > best.lines or (not best.file and found.file):
            best = found
    for path in jsonl:
        rel = path.relative_to(run).as_posix()
        try:
            found = _json_step_lines(read_log(path, inside, rel))
        except safeio.READ_ERRORS as exc:
            errors.append(safeio.describe(exc, rel))
            continue
        if found.lines > best.lines:
            best = found
    return best


def _csv_step_rows(text: str, rel: str) -> BatchLines:
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return BatchLines()
    header = rows[0]
    train_cols = [i for i, name in enumerate(header) if name not in _NOT_METRIC and not _VALIDATION.match(name)
                  and not name.endswith("_epoch")]
    epoch_col = header.index("epoch") if "epoch" in header else None
    per_epoch: dict[str, int] = {}
    count, first, example = 0, None, ""
    for number, row in enumerate(rows[1:], start=2):
        if any(i < len(row) and row[i].strip() for i in train_cols):
            key = row[epoch_col] if epoch_col is not None and epoch_col < len(row) else "?"
            per_epoch[key] = per_epoch.get(key, 0) + 1
            count += 1
            if first is None:
                first, example = number, ",".join(row)[:200]
    if not per_epoch or max(per_epoch.values()) < 2:  # one row an epoch: per-epoch logging
        return BatchLines(rel, 0, first, "one training row an epoch (per-epoch logging): " + example) if first \
            else BatchLines()
    return BatchLines(rel, count, first, f"{','.join(header)[:100]} | {example}")


def _json_step_lines(lines: list[LogLine]) -> BatchLines:
    count, first, example = 0, None, ""
    for x in lines:
        obj = json_object(x.text)
        if obj is not None and is_step_record(obj):
            count += 1
            if first is None:
                first, example = x.line, x.text.strip()[:200]
    return BatchLines(lines[0].file if lines else "", count, first, example) if count else BatchLines()
