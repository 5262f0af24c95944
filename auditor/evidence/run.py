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

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from auditor.config import ProjectConfig
from auditor.runlayout import CHECKPOINT_FORMAT, CHECKPOINTS_DIR, EVENTS_FILE, PROGRESS_JSON, PROGRESS_TXT, TRAIN_LOG
from auditor.drill.result import DrillRecordError, read_record, result_paths
from auditor.evidence.history import RunHistory, build_history
from auditor import safeio
from auditor.safeio import compile_pattern
from auditor.evidence.pickles import StaticPickle, pickle_end, read_pickle, refused_globals

MAX_PICKLE_BYTES = 16 * 1024 * 1024
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_TEXT_BYTES = 256 * 1024 * 1024  # logs and events are streamed line by line up to this
MAX_LINE_CHARS = 64 * 1024  # a longer line (a corrupt or hostile file) is cut to this
IN_PROGRESS_S = 30.0  # a manifest-less .pt or .tmp-* younger than this is a save in progress
_TIME_KEYS = ("timestamp", "wall_time", "time", "saved_time", "saved_at", "ts")
_EPOCH_KEYS = ("epoch", "epochs_completed", "current_epoch")
_STEP_KEYS = ("step", "global_step", "iteration")
_TS_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?")
_BATCH_RE = re.compile(r"\bbatch\b\s*[=:#]?\s*\d+|\bstep\b\s*[=:#]?\s*\d+", re.I)
_RESUME_LOG_RE = re.compile(r"\bresum(?:ed|ing)\b", re.I)
# PyTorch Lightning's ModelCheckpoint files (`epoch=3-step=400.ckpt`, `last.ckpt`), searched
# besides the configured patterns: no layout of ours has a .ckpt, so they cannot be mistaken
LIGHTNING_PATTERNS = ("*.ckpt", "checkpoints/*.ckpt", "lightning_logs/version_*/checkpoints/*.ckpt")
_LIGHTNING_EPOCH_RE = re.compile(r"epoch=(\d+)")
_NAME_STEP_RE = re.compile(r"step[_=-]?(\d+)")
# Hugging Face Trainer: one folder per checkpoint, its trainer_state.json written among the last files
_HF_CHECKPOINT_RE = re.compile(r"checkpoint-(\d+)")
HF_STATE_FILE = "trainer_state.json"


@dataclass(frozen=True)
class Checkpoint:
    file: str  # relative to the run directory
    kind: str  # periodic | best | final | preempt | other
    status: str  # valid | corrupt | incomplete | in_progress | readable | unreadable
    epoch: int | None
    step: int | None
    time: float | None
    time_source: str  # manifest | pickle | mtime
    size_bytes: int
    manifest: str | None = None  # relative path of its manifest (ours)
    note: str = ""

    @property
    def usable(self) -> bool:
        return self.status in ("valid", "readable")


@dataclass(frozen=True)
class Gaps:
    """Measured intervals between periodic saves, within each session of the run."""

    count: int = 0  # saves measured
    gaps_s: tuple[float, ...] = ()
    largest_s: float | None = None
    median_s: float | None = None
    smallest_s: float | None = None
    first_delay_s: float | None = None  # from the start of a session to its first save (largest over sessions)
    source: str = ""
    largest_between: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class EventRef:
    """A line of events.jsonl or a log, as evidence."""

    file: str
    line: int
    ts: float | None
    detail: str = ""
    mode: str = ""  # resume mode of the run_start before a resumed_from


@dataclass(frozen=True)
class Progress:
    exists: bool = False
    file: str = ""  # the progress file judged (progress.json preferred)
    files: tuple[str, ...] = ()
    state: str | None = None
    updated_time: float | None = None
    heartbeat_time: float | None = None
    cadence_s: float | None = None  # largest interval between refreshes, within sessions
    median_s: float | None = None
    cadence_source: str = ""
    samples: int = 0


@dataclass(frozen=True)
class BatchLog:
    file: str = ""
    lines: int = 0
    first_line: int | None = None
    example: str = ""
    logs_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drill:
    """An `audit drill` result (audit-drill/1, docs/drill.md): kills, restarts, what resumed."""

    file: str  # where it was read (relative to the project, or to the run directory)
    verdict: str  # pass | fail
    checks: dict[str, str]  # check id -> pass | fail | skip
    kills: int
    started_at: str
    evidence: tuple[str, ...] = ()  # the resumed_from_newest check's lines

    def check(self, name: str) -> str | None:
        return self.checks.get(name)


@dataclass
class RunEvidence:
    run_dir: Path | None
    found: bool = False
    layout: str = "none"  # ours | foreign | none
    checkpoints: tuple[Checkpoint, ...] = ()
    sessions: tuple[EventRef, ...] = ()  # run_start events (ours) or the first log time (foreign)
    start_time: float | None = None
    end_time: float | None = None
    gaps: Gaps = field(default_factory=Gaps)
    saves_recorded: int = 0  # periodic saves known (events, or files)
    epoch_seconds: float | None = None
    resumes: tuple[EventRef, ...] = ()
    restarts_from_scratch: tuple[EventRef, ...] = ()
    heartbeats: tuple[EventRef, ...] = ()
    heartbeat_gaps: Gaps = field(default_factory=Gaps)
    progress: Progress = field(default_factory=Progress)
    batch_log: BatchLog = field(default_factory=BatchLog)
    events_file: str | None = None
    errors: tuple[str, ...] = ()
    verified: bool = False
    drill: Drill | None = None
    history: RunHistory = field(default_factory=RunHistory)  # the run in time, for the timeline and curves

    def periodic(self) -> list[Checkpoint]:
        return [c for c in self.checkpoints if c.kind == "periodic" and c.usable]


@dataclass(frozen=True)
class ForeignMetadata:
    scalars: dict[str, Any] | None
    """Top-level scalars of the checkpoint's dict; None when it could not be read."""
    how: str
    """`pickle` (read statically) or empty."""
    note: str
    runs_code: bool = False
    """Loading it would call a function acting outside the data (see auditor.evidence.pickles)."""


def _data_pkl(names: list[str]) -> str | None:
    return next((n for n in names if n == "data.pkl" or n.endswith("/data.pkl")), "")


def read_checkpoint_metadata(path: Path, within: safeio.Root | None = None) -> ForeignMetadata:
    """Metadata of a foreign checkpoint, without executing its pickle, read through auditor.safeio:
    a zip's member count and directory are checked first and data.pkl is read up to
    MAX_PICKLE_BYTES of *inflated* bytes; a legacy file's first MAX_PICKLE_BYTES bytes."""
    shown = within.shown(path) if within is not None else str(path)
    try:
        if _looks_like_zip(path, within):
            data = safeio.zip_member(path, _data_pkl, within=within, cap=MAX_PICKLE_BYTES, shown=shown)
            if not data:
                return ForeignMetadata(None, "", "a zip without a data.pkl: not a torch checkpoint")
            return _static(data)
        head = safeio.read_bytes(path, within=within, cap=MAX_PICKLE_BYTES, shown=shown, truncate=True)
    except safeio.ReadRefused as exc:
        return ForeignMetadata(None, "", exc.why)
    except safeio.READ_ERRORS as exc:
        return ForeignMetadata(None, "", safeio.describe(exc, shown).split(": ", 1)[1])
    return _static(_legacy_torch_payload(head) or head)


def _looks_like_zip(path: Path, within: safeio.Root | None) -> bool:
    head = safeio.read_bytes(path, within=within, cap=4, truncate=True)
    return head == b"PK\x03\x04"


# torch.save(..., _use_new_zipfile_serialization=False): a pickled magic number, the protocol
# version and a sys_info dict come before the pickle of the saved object
_LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def _legacy_torch_payload(data: bytes) -> bytes | None:
    """The saved object's pickle inside torch's legacy (non-zip) format, or None when not that format."""
    end = pickle_end(data)
    if end is None or end > 32:
        return None
    if data.find(_LEGACY_TORCH_MAGIC.to_bytes(10, "little"), 0, end) < 0:
        return None
    offset = end
    for _ in range(2):  # the protocol version, then sys_info
        step = pickle_end(data[offset:])
        if step is None:
            return None
        offset += step
    return data[offset:]


def _static(data: bytes) -> ForeignMetadata:
    read = read_pickle(data)
    if read is None:
        return ForeignMetadata(None, "", "not a pickle that can be read statically (nothing was loaded)")
    return _judged(read)


def _judged(read: StaticPickle) -> ForeignMetadata:
    """Readable only when every global the pickle references is on torch's weights_only allowlist:
    an allowlist, not a list of what is forbidden, so `cProfile.run`, `pydoc.pipepager` or any
    function nobody thought of is refused. Its scalars are still read, as a clue, never as evidence."""
    refused = refused_globals(read.globals)
    if refused:
        return ForeignMetadata(read.scalars, "pickle", f"unloadable: references {_listed(refused)} (not on torch's "
                               "weights_only allowlist; never loaded here)", runs_code=True)
    return ForeignMetadata(read.scalars, "pickle", "")


def _listed(names: tuple[str, ...], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


# --------------------------------------------------------------------------- helpers


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _read_json(path: Path, run: Path) -> Any:
    """A JSON file of the run directory, through auditor.safeio (confined, regular, capped, depth-limited)."""
    return safeio.read_json(path, within=safeio.run_directory(run), cap=MAX_JSON_BYTES, shown=_rel(path, run))


def _lines(path: Path, run: Path) -> Iterator[tuple[int, str]]:
    """Lines of a text file of the run directory, streamed through auditor.safeio, up to
    MAX_TEXT_BYTES; an overlong line keeps only its head."""
    return safeio.lines(path, within=safeio.run_directory(run), cap=MAX_TEXT_BYTES, line_cap=MAX_LINE_CHARS,
                        shown=_rel(path, run))


def _present(path: Path) -> bool:
    """Whether something is there (a FIFO or a link out is there, and is reported when read)."""
    return path.exists() or path.is_symlink()


def parse_time(text: str) -> float | None:
    """Unix time of the first ISO-like timestamp in `text` (no zone: UTC)."""
    m = _TS_RE.search(text)
    if not m:
        return None
    date, clock, zone = m.groups()
    try:
        if zone and zone != "Z":
            return datetime.fromisoformat(f"{date}T{clock}{zone}").timestamp()
        whole, _, frac = clock.partition(".")
        # fromisoformat validates like strptime and is many times faster (a log has a time on every line)
        base = datetime.fromisoformat(f"{date}T{whole}+00:00").timestamp()
        return base + (float("0." + frac) if frac else 0.0)
    except ValueError:
        return None


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
    ours = _our_checkpoints(run, verify, errors)
    patterns = list(config.checkpoint_patterns)
    epoch_re = compile_pattern(config.epoch_pattern)  # RE2: linear time, whatever the pattern
    taken = {c.file for c in ours}
    foreign = _foreign_checkpoints(run, patterns + list(LIGHTNING_PATTERNS), epoch_re, taken, errors)
    hf, hf_log = _hf_checkpoints(run, errors)
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
        if not _present(path) or path.is_dir():
            continue
        rel = _rel(path, base)
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
    if not _present(path) or path.is_dir():
        return []
    ev.events_file = EVENTS_FILE
    out = []
    bad, deep = 0, 0
    try:
        for number, line in _lines(path, run):
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


def _our_checkpoints(run: Path, verify: bool, errors: list[str]) -> list[Checkpoint]:
    folder = run / CHECKPOINTS_DIR
    inside = safeio.run_directory(run)
    try:
        safeio.check_dir(folder, inside, CHECKPOINTS_DIR)
    except FileNotFoundError:
        return []
    except safeio.ReadRefused as exc:
        errors.append(str(exc))
        return []
    now = time.time()
    out: list[Checkpoint] = []
    described: set[str] = set()
    for mpath in sorted(folder.glob("*.json")):
        mrel = _rel(mpath, run)
        try:
            m = _read_json(mpath, run)
        except FileNotFoundError:
            continue  # purged by retention (or decommitted by a save) since the listing
        except safeio.READ_ERRORS as exc:  # one bad manifest is one entry
            errors.append(f"unreadable manifest ({safeio.describe(exc, mrel)})")
            continue
        if not isinstance(m, dict) or m.get("format") != CHECKPOINT_FORMAT:
            continue
        name = m.get("file") if isinstance(m.get("file"), str) else mpath.with_suffix(".pt").name
        pt = mpath.parent / name
        described.add(pt.name)
        rel = _rel(pt, run)
        kind = m.get("kind") if m.get("kind") in ("periodic", "best", "final", "preempt") else "other"
        wall = m.get("wall_time") if isinstance(m.get("wall_time"), (int, float)) else None
        status, note, size = "valid", "", 0
        try:  # the file field resolves inside the run directory, or nothing about it is looked at
            size = safeio.stat_file(pt, inside, rel).st_size
        except FileNotFoundError:
            status, note = "corrupt", "manifest without its .pt file"
        except safeio.ReadRefused as exc:
            status, note = "corrupt", f"its file field: {exc.why}"
        lacking = [k for k, ok in (("size_bytes", _is_int(m.get("size_bytes"))),
                                   ("sha256", _is_sha256(m.get("sha256")))) if not ok]
        if status == "valid" and lacking:
            # our trainer always writes both: without them nothing can tell an intact file
            status, note = "corrupt", f"manifest has no valid {' or '.join(lacking)} to verify the file against"
        if status == "valid" and m["size_bytes"] != size:
            status, note = "corrupt", f"size {size} bytes, manifest says {m['size_bytes']}"
        if status == "valid" and verify:
            try:
                digest = safeio.sha256(pt, within=inside, cap=size, shown=rel)
            except FileNotFoundError:
                status, note = "corrupt", "manifest without its .pt file"
            except safeio.READ_ERRORS as exc:
                status, note = "corrupt", safeio.describe(exc, rel).split(": ", 1)[1]
            else:
                if digest != m.get("sha256"):
                    status, note = "corrupt", "sha256 does not match the manifest"
        if status == "corrupt" and _manifest_changed(mpath, m):
            # a live trainer purged or replaced this checkpoint while it was being read: the
            # manifest goes first in both, so a manifest that is gone or new means work in progress
            if not _present(pt):
                continue
            status, note = "in_progress", "changed while being read (a save or purge in progress)"
        out.append(Checkpoint(rel, kind, status, _int(m.get("epoch")), _int(m.get("step")), wall, "manifest", size,
                              mrel, note))
    for pt in sorted(folder.iterdir()):
        if pt.name in described or pt.suffix == ".json" or pt.is_dir():
            continue
        if not (pt.suffix == ".pt" or pt.name.startswith(".tmp-")):
            continue
        try:
            st = safeio.stat_file(pt, inside, _rel(pt, run))
        except FileNotFoundError:
            continue  # a temp file renamed into place, or a purged file, since the listing
        except safeio.ReadRefused as exc:
            errors.append(str(exc))
            continue
        young = now - st.st_mtime < IN_PROGRESS_S
        status = "in_progress" if young else "incomplete"
        note = "being written now" if young else ("an orphaned temporary file" if pt.name.startswith(".tmp-")
                                                  else "no manifest: the save did not finish")
        step = _int(m.group(1)) if (m := re.search(r"(\d+)", pt.stem)) and not pt.name.startswith(".tmp-") else None
        out.append(Checkpoint(_rel(pt, run), "other", status, None, step, st.st_mtime, "mtime", st.st_size, None, note))
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _manifest_changed(mpath: Path, seen: dict) -> bool:
    """Whether the manifest at `mpath` is gone or no longer what was read."""
    try:
        return _read_json(mpath, mpath.parents[1]) != seen
    except safeio.READ_ERRORS:
        return True



def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _foreign_checkpoints(run: Path, patterns: list[str], epoch_re: Any, taken: set[str],
                         errors: list[str]) -> list[Checkpoint]:
    paths: list[Path] = []
    for pattern in patterns:
        paths += sorted(run.glob(pattern))
    out = []
    now = time.time()
    for pt in dict.fromkeys(paths):
        rel = _rel(pt, run)
        if rel in taken or pt.is_dir():
            continue
        if pt.parent.name == CHECKPOINTS_DIR and pt.with_suffix(".json").exists():
            continue
        low = pt.name.lower()
        m = epoch_re.search(pt.name) or _LIGHTNING_EPOCH_RE.search(pt.name)
        epoch = int(m.group(1)) if m and m.groups() else None
        kind = ("best" if "best" in low else "final" if "final" in low or "last" in low
                else "preempt" if "preempt" in low else "periodic" if m else "other")
        try:
            st = safeio.stat_file(pt, safeio.run_directory(run), rel)
        except FileNotFoundError:
            continue  # removed since the listing (a live run purging old checkpoints)
        except safeio.ReadRefused as exc:  # a link out, a FIFO: one entry, nothing about its target
            errors.append(str(exc))
            continue
        if st.st_size == 0:
            status = "in_progress" if now - st.st_mtime < IN_PROGRESS_S else "incomplete"
            out.append(Checkpoint(rel, kind, status, epoch, None, st.st_mtime, "mtime", 0, None, "empty file"))
            continue
        meta = read_checkpoint_metadata(pt, safeio.run_directory(run))
        scalars, how, note = meta.scalars, meta.how, meta.note
        t, source = None, "mtime"
        step = None
        if scalars:
            for key in _TIME_KEYS:
                value = scalars.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    t, source = float(value), how
                    break
                if isinstance(value, str) and parse_time(value) is not None:
                    t, source = parse_time(value), how
                    break
            if epoch is None:
                epoch = next((scalars[k] for k in _EPOCH_KEYS if _int(scalars.get(k)) is not None), None)
            step = next((scalars[k] for k in _STEP_KEYS if _int(scalars.get(k)) is not None), None)
        if step is None and (named := _NAME_STEP_RE.search(pt.name)):
            step = int(named.group(1))
        if t is None:
            t = st.st_mtime
        if scalars is None:
            young = now - st.st_mtime < IN_PROGRESS_S
            status = "in_progress" if young else "unreadable"
        else:
            status = "unreadable" if meta.runs_code else "readable"
        out.append(Checkpoint(rel, kind, status, epoch, step, t, source, st.st_size, None, note))
    return out


def _hf_checkpoints(run: Path, errors: list[str]) -> tuple[list[Checkpoint], BatchLog]:
    """`checkpoint-N/` folders of a Hugging Face Trainer, and the newest one's log_history as batch logs.

    Only trainer_state.json is read (as JSON, size-bounded); the weights and optimizer files
    are only stat'ed. A folder's time is the newest mtime inside it (the save ends there).
    """
    out: list[Checkpoint] = []
    newest_log, newest_step = BatchLog(), -1
    now = time.time()
    for folder in sorted(run.glob("checkpoint-*")):
        named = _HF_CHECKPOINT_RE.fullmatch(folder.name)
        if not named or not folder.is_dir():
            continue
        try:
            stats = [safeio.stat_file(p, safeio.run_directory(run)) for p in folder.rglob("*") if not p.is_dir()]
        except safeio.ReadRefused as exc:
            errors.append(str(exc))
            continue
        except FileNotFoundError:
            continue  # purged by save_total_limit since the listing
        rel = _rel(folder, run)
        t = max((st.st_mtime for st in stats), default=None)
        size = sum(st.st_size for st in stats)
        step, epoch, status, note = int(named.group(1)), None, "readable", ""
        state_path = folder / HF_STATE_FILE
        try:
            state = _read_json(state_path, run)
        except FileNotFoundError:
            young = t is not None and now - t < IN_PROGRESS_S
            status = "in_progress" if young else "incomplete"
            note = f"no {HF_STATE_FILE}: the save did not finish"
            state = None
        except safeio.READ_ERRORS as exc:
            errors.append(f"unreadable ({safeio.describe(exc, f'{rel}/{HF_STATE_FILE}')})")
            status, note, state = "unreadable", f"{HF_STATE_FILE} unreadable", None
        if isinstance(state, dict):
            step = _int(state.get("global_step")) if _int(state.get("global_step")) is not None else step
            raw_epoch = state.get("epoch")
            if isinstance(raw_epoch, (int, float)) and not isinstance(raw_epoch, bool) and raw_epoch >= 0:
                epoch = int(raw_epoch)  # a fraction is an epoch in progress: count the completed ones
            history = state.get("log_history")
            batches = [h for h in history if isinstance(h, dict) and "loss" in h and "step" in h] \
                if isinstance(history, list) else []
            if batches and step > newest_step:
                newest_step = step
                newest_log = BatchLog(f"{rel}/{HF_STATE_FILE}", len(batches), None,
                                      "log_history: " + json.dumps(batches[-1])[:180])
        out.append(Checkpoint(rel, "periodic", status, epoch, step, t, "mtime", size, None, note))
    return out, newest_log


def _read_logs(run: Path, ev: RunEvidence, errors: list[str]) -> list[tuple[str, int, float | None, str]]:
    """(file, line, time, text) of every line of train.log and *.log files in the run directory."""
    logs = sorted({*run.glob("*.log"), *run.glob("logs/*.log")}, key=lambda p: (p.name != TRAIN_LOG, p.name))
    out = []
    best: BatchLog | None = None
    for path in logs:
        rel = _rel(path, run)
        count, first, example = 0, None, ""
        try:
            for number, line in _lines(path, run):
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
    names = tuple(_rel(p, run) for p in logs)
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
    files = [p for p in (PROGRESS_JSON, PROGRESS_TXT) if _present(run / p) and not (run / p).is_dir()]
    files += [p.name for p in sorted(run.glob("*PROGRESS*")) if not p.is_dir() and p.name not in files]
    if not files:
        ev.progress = Progress(exists=False)
        return
    state = updated = beat = None
    if PROGRESS_JSON in files:
        try:
            data = _read_json(run / PROGRESS_JSON, run)
            if isinstance(data, dict):
                state = data.get("state") if isinstance(data.get("state"), str) else None
                updated = data.get("updated_time") if isinstance(data.get("updated_time"), (int, float)) else None
                beat = data.get("heartbeat_time") if isinstance(data.get("heartbeat_time"), (int, float)) else None
        except safeio.READ_ERRORS as exc:
            errors.append(f"unreadable ({safeio.describe(exc, 'progress.json')})")
    else:
        try:
            for _, line in _lines(run / files[0], run):
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
