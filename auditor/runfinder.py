"""Run directories, found from what discovery's walk saw: folders holding checkpoints, and their logs.

- A folder holding checkpoint files (auditor.ckptnames: `.pt`, `.pth`, `.pth.tar`, `.ckpt`,
  `.safetensors`, `.keras`, `.weights.h5`, a `.zip` whose members are a model save, ...) or
  `checkpoint-N/` folders holds checkpoints.
  A folder named for a step (`step_000546/`, `global_step500/`, `epoch_3/`) that holds such
  files is one checkpoint (weights, optimizer, a JSON sidecar), of the folder above it, and so
  is a folder of torch.distributed.checkpoint shards (`*.distcp`) whatever its name; a
  `checkpoints/` (`ckpt/`, `snapshots/`, ...) folder belongs to the run above it, and so does a
  folder inside a run that holds only its best or final save (`<run>/best/best_model.zip`).
- Lightning's loggers write each launch of `fit` into a new `version_N/` of one log folder
  (`lightning_logs/version_1/checkpoints/`): a launch folder belongs to the run above it, its
  launches that run's sessions. A sweep is not one run: when the launches' hparams.yaml differ
  and none recorded a `ckpt_path` to continue from (its config.yaml), each launch is a run.
- The run's logs are its own (anywhere below it); else the project root's (`... | tee -a
  train.log`); else the logs a batch scheduler writes for the job (`#SBATCH --output=logs/%x-%j.out`)
  and the logs kept elsewhere that name the run's checkpoint files (a job's `.out` file saying
  `checkpoint -> .../step_0000988.pt`); else an experiment tracker's date-stamped log folder.
  A log in a documentation or test folder is a sample, never the run's.

Runs are ranked most checkpoints first, then the newest.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from auditor import rxcache, safeio, safezip
from auditor.ckptnames import shards_folder, zip_save

_CHECKPOINT_FOLDER_NAMES = {"checkpoints", "checkpoint", "ckpt", "ckpts", "snapshots"}
LAUNCH_FOLDER = rxcache.compile(r"^version_\d+$")  # one launch of a Lightning logger (lightning_logs/version_3)
# one checkpoint saved as a folder, named for its step or epoch
_NUMBERED_FOLDER = rxcache.compile(r"^(?:checkpoint|ckpt|step|global_step|iter|iteration|epoch|snapshot|save)[-_=]?\d+$",
                              re.I)
# a batch scheduler's output file: `#SBATCH --output=logs/%x-%j.out`, `#PBS -o logs/run.log`
_SCHEDULER_OUTPUT = rxcache.compile(r"^#(?:SBATCH|PBS|\$)\s+(?:--output|--error|-o|-e)(?:=|\s+)\s*['\"]?([^\s'\"]+)", re.M)
_PATTERN_TOKEN = rxcache.compile(r"%\w|\$\{\w+\}|\$\w+")  # %x %j %A %a, ${SLURM_JOB_ID}, $PBS_JOBID
_SAMPLE_DIRS = {"docs", "doc", "examples", "example", "samples", "tests", "test"}
MAX_STRAY_LOGS = 8
MAX_NAMING_LOGS = 16  # logs elsewhere read for the run's checkpoint names
NAMING_BYTES = 4 * 1024 * 1024  # of each, the first bytes read
# a folder an experiment tracker keeps one run's logs in: named with the run's date stamp
# (`wandb/offline-run-20261202_165628-b4effaf4/files/`), or under the tracker's own folder
_RUN_LOG_FOLDER = rxcache.compile(r"(?:^|/)(?:wandb|mlruns)(?:/|$)|20\d{2}-?[01]\d-?[0-3]\d[_T-]?[0-2]\d-?[0-5]\d")


# absl's and glog's file of one process start: `<program>.<host>.<user>.log.<LEVEL>.<yyyymmdd>-<hhmmss>.<pid>`
# (the `<program>.<LEVEL>` symlink beside it points at the newest: not a log of its own)
PER_START_LOG = rxcache.compile(r"\.log\.(?:INFO|WARNING|ERROR|FATAL|DEBUG|VERBOSE)\.\d{8}-\d{6}\.\d+$")
# a run's console log by its name: `.log`, `.out`, `.err`, JSON lines, or text named a log or a captured stream
# (`log.txt`, `train_log.txt`, a launch's `log_1796315431.txt`, `stdout.txt`; not `changelog.txt`, `catalog.txt`),
# or absl's / glog's per-start file
_LOG_NAME = rxcache.compile(r"\.(?:log|out|err|jsonl)$|(?:^|[_.-])(?:logs?|stdout|stderr|console)(?:[_.-][^/]*)?\.txt$|"
                            r"^(?:metrics|log|progress)\.csv$|" + PER_START_LOG.pattern, re.I)


# a log's numbered rotation, as Python's RotatingFileHandler and logrotate name it: `train.log.1` (newer),
# `train.log.2` (older); nothing rotates to `.0`
ROTATED_LOG = rxcache.compile(r"^(.+)\.([1-9]\d{0,2})$")
# a log's dated rotation, as TimedRotatingFileHandler names it: `train.log.2026-12-03`, `train.log.2026-12-03_14-00`
DATED_LOG = rxcache.compile(r"^(.+)\.(20\d{2}-[01]\d-[0-3]\d(?:_[0-2]\d(?:-[0-5]\d){0,2})?)$")


def unrotated(name: str) -> str:
    """The name of the log a rotation was rotated from (`train.log.2`, `train.log.2026-12-03` -> `train.log`),
    else `name`."""
    m = ROTATED_LOG.match(name) or DATED_LOG.match(name)
    return m.group(1) if m else name


# how every name _LOG_NAME matches ends (its alternatives end so, or in a digit), and how every
# rotation unrotated() undoes ends: a name that ends otherwise is no log's, and is not searched
# (discovery asks this of every file of a project)
_LOG_ENDINGS = (".log", ".out", ".err", ".jsonl", ".txt", ".csv")


def is_log_name(name: str) -> bool:
    """Whether a file's name says it is a log (a run's console log, JSON lines, a metrics CSV), or a
    numbered rotation of one (`train.log.1`)."""
    # case-folded as re.IGNORECASE matches (`.LOG`, a long s in `.jſonl`); `$` also matches before a final newline
    end = name.casefold()
    end = end[:-1] if end.endswith("\n") else end
    if not (end.endswith(_LOG_ENDINGS) or end[-1:].isdigit()):
        return False
    return bool(_LOG_NAME.search(name) or _LOG_NAME.search(unrotated(name)))


@dataclass(frozen=True)
class RunDirectory:
    """One run directory found in the project: its checkpoint count, its logs and its newest checkpoint's time."""

    path: str  # relative to the root
    checkpoints: int  # checkpoint files and checkpoint folders seen
    logs: tuple[str, ...]  # log files in it, or elsewhere when they are the run's
    newest: float  # newest mtime of a checkpoint in it


class Sniffer(Protocol):
    def head(self, rel: str, size: int = ...) -> str: ...


@dataclass(frozen=True)
class Seen:
    """What the walk saw that run directories are made of (folders relative to the root, "" the root)."""

    checkpoint_files: dict[str, list[str]]  # folder -> checkpoint files in it
    checkpoint_dirs: dict[str, list[str]]  # folder -> checkpoint-N folders in it
    logs: dict[str, list[str]]  # folder -> log files in it
    job_scripts: list[str]  # shell and batch-scheduler scripts


def _run_of(folder: str, sweeps: frozenset[str] = frozenset()) -> str:
    """The run a folder of checkpoints belongs to: `runs/x/checkpoints` -> `runs/x`; `sweeps`: log
    folders whose launches are runs of their own."""
    name = folder.rsplit("/", 1)[-1]
    if name.lower() in _CHECKPOINT_FOLDER_NAMES and "/" in folder:
        folder = folder.rsplit("/", 1)[0]
    if "/" in folder and LAUNCH_FOLDER.match(folder.rsplit("/", 1)[-1]) and _parent(folder) not in sweeps:
        return folder.rsplit("/", 1)[0]  # a launch of the run in the log folder above it
    return folder


def _launch_of(folder: str) -> str | None:
    """The launch folder (`lightning_logs/version_3`) a folder of checkpoints is, or is the checkpoints/ of."""
    if folder.rsplit("/", 1)[-1].lower() in _CHECKPOINT_FOLDER_NAMES and "/" in folder:
        folder = _parent(folder)
    return folder if "/" in folder and LAUNCH_FOLDER.match(folder.rsplit("/", 1)[-1]) else None


_CKPT_PATH_GIVEN = rxcache.compile(r"^ckpt_path\s*:[ \t]*(?!(?:null|none|~|''|\"\")?[ \t]*(?:#.*)?$)\S", re.M | re.I)


def _sweeps(folders: list[str], read: Sniffer) -> frozenset[str]:
    """The log folders whose launches were started with other hyperparameters each (hparams.yaml
    differ) and never given a checkpoint to continue from (a `ckpt_path` in config.yaml)."""
    launches: dict[str, set[str]] = {}
    for folder in folders:
        launch = _launch_of(folder)
        if launch is not None:
            launches.setdefault(_parent(launch), set()).add(launch)
    out = set()
    for log_folder, found in launches.items():
        hparams = {read.head(f"{launch}/hparams.yaml").strip() for launch in found}
        continued = any(_CKPT_PATH_GIVEN.search(read.head(f"{launch}/{name}"))
                        for launch in found for name in ("config.yaml", "config.yml"))
        if len(found) >= 2 and len(hparams) == len(found) and "" not in hparams and not continued:
            out.add(log_folder)
    return frozenset(out)


def _parent(folder: str) -> str:
    return folder.rsplit("/", 1)[0] if "/" in folder else ""


def run_dirs(root: Path, seen: Seen, read: Sniffer) -> list[RunDirectory]:
    """Every run directory, the likeliest first."""
    runs: dict[str, list[str]] = {}  # run -> its checkpoints (files, or a folder for one saved as a folder)
    stamped: dict[str, list[str]] = {}  # run -> the paths whose mtimes say when it saved
    sweeps = _sweeps([*seen.checkpoint_files, *seen.checkpoint_dirs], read)
    for folder, named in seen.checkpoint_files.items():
        files = [f for f in named if not f.lower().endswith(".zip") or _zip_is_save(root, f)]
        if not files:
            continue
        # step_000546/ or a folder of DCP shards: one checkpoint
        one_save = bool(_NUMBERED_FOLDER.match(folder.rsplit("/", 1)[-1])) or shards_folder(files)
        run = _run_of(_parent(folder), sweeps) if one_save else _run_of(folder, sweeps)
        runs.setdefault(run, []).extend([folder] if one_save else files)
        stamped.setdefault(run, []).extend(files)
    for folder, dirs in seen.checkpoint_dirs.items():
        runs.setdefault(_run_of(folder, sweeps), []).extend(dirs)
        stamped.setdefault(_run_of(folder, sweeps), []).extend(dirs)
    _fold_end_saves(runs, stamped)
    outputs = _scheduler_outputs(seen, read)
    out = []
    for run, saved in runs.items():
        newest = max((_mtime(root / f) for f in stamped.get(run, ())), default=0.0)
        logs = _logs_of(run, saved, seen, set(runs), outputs, read)
        out.append(RunDirectory(run or ".", len(saved), tuple(sorted(logs)), newest))
    out.sort(key=lambda r: (-r.checkpoints, -r.newest, r.path))
    return out


_END_SAVE = rxcache.compile(r"(?:^|[^a-z])(?:best|final|last)(?:[^a-z]|$)", re.I)


def _fold_end_saves(runs: dict[str, list[str]], stamped: dict[str, list[str]]) -> None:
    """A folder inside a run that holds only its best or final save (`<run>/best/best_model.zip`,
    `<run>/final/model.safetensors`) is part of that run, not a run of its own."""
    for run in sorted(runs, key=len, reverse=True):
        host = next((r for r in sorted(runs, key=len, reverse=True) if r and r != run and _inside(run, r)), None)
        name = run.rsplit("/", 1)[-1]
        if host is None or not (_END_SAVE.search(name)
                                or all(_END_SAVE.search(s.rsplit("/", 1)[-1]) for s in runs[run])):
            continue
        runs[host].extend(runs.pop(run))
        stamped.setdefault(host, []).extend(stamped.pop(run, []))


def _zip_is_save(root: Path, rel: str) -> bool:
    """Whether a zip named like a checkpoint holds a model save (its directory read, nothing inflated)."""
    try:
        return bool(zip_save(safezip.zip_names(root / rel, within=safeio.project(root), shown=rel)))
    except safeio.READ_ERRORS:
        return False


def _inside(folder: str, run: str) -> bool:
    return folder == run or folder.startswith(run + "/")


def _logs_of(run: str, saved: list[str], seen: Seen, runs: set[str], outputs: list[str], read: Sniffer) -> list[str]:
    if not run:
        return list(seen.logs.get("", []))
    own = [log for folder, items in seen.logs.items() if _inside(folder, run) for log in items]
    if own:
        return own
    if seen.logs.get(""):  # a run that keeps no log of its own: the root's (`... | tee -a train.log`)
        return list(seen.logs[""])
    elsewhere = [log for folder, items in sorted(seen.logs.items()) if folder
                 and not any(r and _inside(folder, r) for r in runs)
                 and not _SAMPLE_DIRS.intersection(folder.split("/")) for log in items]
    declared = [log for log in elsewhere if any(fnmatch.fnmatch(log, p) for p in outputs)]
    names = {s.rsplit("/", 1)[-1] for s in saved}
    naming = [log for log in elsewhere[:MAX_NAMING_LOGS] if log not in declared
              and any(n in read.head(log, NAMING_BYTES) for n in names)]
    return declared + naming or _stray_logs(seen, runs)


def _scheduler_outputs(seen: Seen, read: Sniffer) -> list[str]:
    """Glob patterns of the files batch-scheduler scripts send a job's output to (relative to the root)."""
    out = []
    for script in seen.job_scripts:
        for m in _SCHEDULER_OUTPUT.finditer(read.head(script)):
            out.append(os.path.normpath(_PATTERN_TOKEN.sub("*", m.group(1))).replace(os.sep, "/"))
    return out


def _stray_logs(seen: Seen, runs: set[str]) -> list[str]:
    """Logs a tracker kept apart from every run folder: a run with no log of its own, and none at
    the root, has its log there if anywhere. A log in any other folder (a sample in docs/) is not
    taken for the run's."""
    found = [log for folder, items in sorted(seen.logs.items())
             if folder and _RUN_LOG_FOLDER.search(folder) and not any(r and _inside(folder, r) for r in runs)
             for log in items]
    return found[:MAX_STRAY_LOGS]


def _mtime(path: Path) -> float:
    try:
        return os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        return 0.0
