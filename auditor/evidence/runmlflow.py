"""MLflow's local file store as a run's metrics stream.

With no tracking server MLflow writes to `./mlruns` in the working directory (its default tracking
URI), or wherever `mlflow.set_tracking_uri("file:...")` points, often into the run folder. Its layout:

    mlruns/<experiment id>/meta.yaml
    mlruns/<experiment id>/<run id>/meta.yaml, params/<key>, tags/<key>, artifacts/...
    mlruns/<experiment id>/<run id>/metrics/<key>     one `<timestamp ms> <value> <step>` line a log call
                                                      (older stores: `<timestamp ms> <value>`)

A metric key may hold slashes (`train/loss`): its file is then in a folder below metrics/.

A store run belongs to the run folder when the store is inside it, or when one of its parameters
names the folder (`ckpt_dir = checkpoints`) or its artifacts hold a file named like one of the
folder's checkpoints (`log_artifact` of each save). A training metric (not an evaluation one, nor
`epoch`, `lr`) is logged per step when it has at least PER_STEP_RATIO times the lines of the run's
evaluation or epoch metrics: logged every step, or every N, far more often than the run evaluates;
one logged as often as they are is per-epoch. A run with no such metric to compare with decides
nothing (a per-epoch metric looks the same as a per-step one on its own).

Every read goes through auditor.safeio, confined to the project (or the run folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from auditor import rxcache, safeio
from auditor.evidence.runlog import BatchLines

STORE = "mlruns"
PER_STEP_RATIO = 2
MAX_RUNS = 20  # store runs looked at, in name order
MAX_METRIC_FILES = 64  # metric files of one run
MAX_PARAM_FILES = 64
MAX_METRIC_BYTES = 64 * 1024 * 1024
_ROW = rxcache.compile(r"^\s*(\d{10,13})\s+(\S+)(?:\s+(-?\d+))?\s*$")
_EVALUATION = rxcache.compile(r"(?:^|[/_.-])(?:val|valid|validation|eval|test|dev)(?:$|[/_.-])", re.I)
_NOT_TRAINING = rxcache.compile(r"(?:^|[/_.-])(?:epoch|lr|learning_rate|step|global_step|time|duration|"
                                r"throughput|samples_per_second)$", re.I)


def _store_runs(store: Path) -> list[Path]:
    """The run folders of a file store: <experiment>/<run>/ holding meta.yaml, in name order."""
    out: list[Path] = []
    for experiment in _folders(store):
        out += [run for run in _folders(experiment) if (run / "meta.yaml").is_file()]
    return out[:MAX_RUNS]


def _folders(path: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(path) if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _files_below(folder: Path, cap: int) -> list[Path]:
    out: list[Path] = []
    for here, dirs, files in os.walk(folder):  # symlinked folders are not followed
        dirs.sort()
        out += [Path(here) / f for f in sorted(files)]
        if len(out) >= cap:
            break
    return out[:cap]


def _belongs(store_run: Path, run: Path, project: Path, root: safeio.Root, checkpoint_names: set[str]) -> bool:
    if store_run.resolve().is_relative_to(run.resolve()):
        return True
    for param in _files_below(store_run / "params", MAX_PARAM_FILES):
        try:
            value = safeio.read_text(param, within=root, cap=4096, shown=param.name).strip()
        except safeio.READ_ERRORS:
            continue
        if value and "\n" not in value and _names_folder(value, project, run):
            return True
    artifacts = {p.name for p in _files_below(store_run / "artifacts", 4 * MAX_PARAM_FILES)}
    return bool(artifacts & checkpoint_names)


def _names_folder(value: str, project: Path, run: Path) -> bool:
    """A parameter's value is the run folder's path (relative to the project, or absolute)."""
    try:
        return (project / value).resolve() == run.resolve()
    except (OSError, ValueError, RuntimeError):
        return False


def _metric_rows(path: Path, root: safeio.Root, shown: str) -> tuple[int, int | None, str]:
    """(rows, the first row's line, its text) of one metric file."""
    count, first, example = 0, None, ""
    for number, text in safeio.lines(path, within=root, cap=MAX_METRIC_BYTES, shown=shown):
        if _ROW.match(text):
            count += 1
            if first is None:
                first, example = number, text.strip()
    return count, first, example


def _run_lines(store_run: Path, root: safeio.Root, base: Path, errors: list[str]) -> BatchLines:
    metrics = store_run / "metrics"
    training: list[tuple[int, str, int | None, str]] = []
    reference = 0
    for path in _files_below(metrics, MAX_METRIC_FILES):
        key = path.relative_to(metrics).as_posix()
        shown = path.relative_to(base).as_posix()
        try:
            rows, first, example = _metric_rows(path, root, shown)
        except safeio.READ_ERRORS as exc:
            errors.append(safeio.describe(exc, shown))
            continue
        if _EVALUATION.search(key) or key.lower() == "epoch":
            reference = max(reference, rows)
        elif not _NOT_TRAINING.search(key) and rows:
            training.append((rows, shown, first, f"{key}: {example}"))
    if not reference or not training:
        return BatchLines()
    rows, shown, first, example = max(training)
    if rows < PER_STEP_RATIO * reference:
        return BatchLines(shown, 0, first, f"logged per epoch only ({rows} lines, {reference} of evaluation): "
                                           + example)
    return BatchLines(shown, rows, first, example)


def batch_lines(project: Path, run: Path, checkpoint_names: set[str], errors: list[str]) -> BatchLines:
    """Per-step lines of the run's MLflow file store (inside the run folder, else the project's
    ./mlruns), the richest training metric of the store runs that belong to the run folder."""
    best = BatchLines()
    for base, store in ((run, run / STORE), (project, project / STORE)):
        if not store.is_dir() or store.is_symlink() or not store.resolve().is_relative_to(project.resolve()):
            continue
        root = safeio.run_directory(run) if base == run else safeio.project(project)
        for store_run in _store_runs(store):
            if not _belongs(store_run, run, project, root, checkpoint_names):
                continue
            found = _run_lines(store_run, root, base, errors)
            if found.lines > best.lines or (not best.file and found.file):
                best = found
        if best.file:
            return best
    return best
