"""A run's launch folders: Lightning's loggers (CSVLogger, TensorBoardLogger) write each launch of
`fit` into a new `version_N/` of one log folder (`lightning_logs/version_0`, `version_1`, ...),
so a run killed and relaunched leaves one folder a launch, each with its config.yaml
(LightningCLI's SaveConfigCallback: the launch's resolved configuration, the `ckpt_path` it was
given included), hparams.yaml, metrics.csv and checkpoints/.

- `read(run)`: the launch folders in number order, each with the span of its files' mtimes (its
  config and hparams are written as it starts) and the `ckpt_path` its config.yaml records.
- `launch_folders(run)`: the same folders, unread (runside looks in the newest for a progress file).
- `launch_banners(texts, launches)`: where the 2nd, 3rd, ... launch began in a console log they
  all appended to (`... | tee -a train.log`): the log's first line's shape, recurring exactly
  once a launch (a console that kept no per-step line between them gives no other sign).
- `with_launches(sessions, launches, session)`: a log's sessions, one a launch, take the launch's
  times where the log has none, and the `ckpt_path` the launch recorded as the explicit resume it
  was given; a recorded configuration with no `ckpt_path` is a launch started without one. With
  no log at all, each launch is a session: one whose metrics.csv begins past the step the launch
  before began at (`2469` after `9`; a fresh start logs its first row at the same step) continued
  that run, from its `ckpt_path` when it names one.

Every read goes through auditor.safeio, confined to the run directory.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor import rxcache, safeio
from auditor.evidence.steplines import line_shape
from auditor.runfinder import LAUNCH_FOLDER

MAX_LAUNCHES = 64
MAX_FILES = 512  # files of one launch folder whose mtimes are read
CONFIG_BYTES = 1024 * 1024
_CONFIG_NAMES = ("config.yaml", "config.yml")
_CKPT_PATH = rxcache.compile(r"^ckpt_path\s*:[ \t]*(.*?)[ \t]*(?:#.*)?$", re.M)
_NO_PATH = {"", "null", "none", "~", "''", '""'}


@dataclass(frozen=True)
class Launch:
    """One launch of the run (a `version_N/` folder): when its files were written, and the `ckpt_path` it was given."""

    folder: str  # relative to the run
    start: float | None
    end: float | None
    config: str = ""  # its recorded configuration, relative to the run
    records_ckpt: bool = False  # the configuration has a ckpt_path entry (null or a path)
    ckpt_path: str = ""
    ckpt_line: int = 0
    metrics: str = ""  # its metrics.csv, relative to the run
    first_step: int | None = None  # the step of metrics.csv's first row
    first_line: int = 0


def launch_folders(run: Path) -> list[Path]:
    """The run's launch folders (`version_N/`, no links), in number order, at most MAX_LAUNCHES."""
    try:
        folders = [p for p in run.iterdir() if LAUNCH_FOLDER.match(p.name) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    folders.sort(key=lambda p: int(p.name.rsplit("_", 1)[-1]))
    return folders[:MAX_LAUNCHES]


def read(run: Path) -> list[Launch]:
    """The run's launches, one a launch folder, in number order."""
    return [_launch(run, p) for p in launch_folders(run)]


def _launch(run: Path, folder: Path) -> Launch:
    times = []
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if Path(here) == folder else []
        for name in files[:MAX_FILES]:
            try:
                info = os.stat(Path(here) / name, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                times.append(info.st_mtime)
    rel = folder.relative_to(run).as_posix()
    out = Launch(rel, min(times, default=None), max(times, default=None), **_first_step(run, folder, rel))
    config = next((folder / n for n in _CONFIG_NAMES if (folder / n).is_file()), None)
    if config is None:
        return out
    shown = f"{rel}/{config.name}"
    try:
        text = safeio.read_text(config, within=safeio.run_directory(run), cap=CONFIG_BYTES, shown=shown)
    except safeio.READ_ERRORS:
        return out
    m = _CKPT_PATH.search(text)
    if m is None:
        return replace(out, config=shown)
    value = m.group(1).strip()
    given = "" if value.lower() in _NO_PATH else value.strip("'\"")
    return replace(out, config=shown, records_ckpt=True, ckpt_path=given,
                   ckpt_line=text.count("\n", 0, m.start()) + 1)


def _first_step(run: Path, folder: Path, rel: str) -> dict[str, Any]:
    """metrics.csv's first row with a step, as Launch fields (none when it has none)."""
    path, shown = folder / "metrics.csv", f"{rel}/metrics.csv"
    if not path.is_file():
        return {}
    try:
        rows = safeio.lines(path, within=safeio.run_directory(run), cap=CONFIG_BYTES, shown=shown)
        _, header = next(rows, (0, ""))
        column = header.split(",").index("step") if "step" in header.split(",") else None
        for number, row in rows:
            cells = row.split(",")
            if column is not None and column < len(cells) and re.fullmatch(r"\d+(?:\.0+)?", cells[column].strip()):
                return {"metrics": shown, "first_step": int(float(cells[column])), "first_line": number}
    except safeio.READ_ERRORS:
        return {}
    return {"metrics": shown}


def launch_banners(texts: list[str], launches: int) -> set[int]:
    """Indexes where the 2nd, 3rd, ... launch began in a log all `launches` appended to."""
    if launches < 2 or not texts or not texts[0].strip():
        return set()
    shape = line_shape(texts[0])
    at = [i for i, text in enumerate(texts) if line_shape(text) == shape]
    return set(at[1:]) if len(at) == launches else set()


def with_launches(sessions: tuple[Any, ...], launches: list[Launch], session: Any) -> tuple[Any, ...]:
    """The log's sessions (`session`: runlog.LogSession), completed from the launches when there is
    one a launch, or made from them when there is no log."""
    if len(launches) >= 2 and not sessions:
        sessions = tuple(_session_of(launches, n, session) for n in range(len(launches)))
    if len(launches) < 2 or len(sessions) != len(launches):
        return sessions
    out = []
    for s, launch in zip(sessions, launches):
        changes: dict[str, Any] = {}
        if s.start is None and launch.start is not None:
            changes.update(start=launch.start, end=launch.end if s.end is None else s.end)
        if not s.command and launch.records_ckpt:
            changes.update(command=f"the configuration {launch.config} recorded",
                           command_source=f"{launch.config}:1")
        if not s.explicit_resume and launch.ckpt_path:
            changes.update(explicit_resume=f"ckpt_path: {launch.ckpt_path}",
                           explicit_source=f"{launch.config}:{launch.ckpt_line}")
        out.append(replace(s, **changes) if changes else s)
    return tuple(out)


def _session_of(launches: list[Launch], n: int, session: Any) -> Any:
    """A session made of a launch folder; resumed when its steps continue past the launch before's."""
    launch = launches[n]
    before = launches[n - 1].first_step if n else None
    # past the step the launch before began at; with that unknown, a launch that trained (Lightning
    # restores a given ckpt_path before the first step, or fails) from a ckpt_path it was given
    continues = n > 0 and launch.first_step is not None and (
        launch.first_step > before if before is not None else bool(launch.ckpt_path))
    where = launch.config or launch.metrics or launch.folder
    return session(first=0, last=0, start=launch.start, end=launch.end, start_source=where,
                   end_source=launch.folder, ended="killed" if n + 1 < len(launches) else "open",
                   resumed_from=(launch.ckpt_path or f"the steps of {launches[n - 1].folder}") if continues else "",
                   resume_time=launch.start if continues else None,
                   resume_source=f"{launch.metrics}:{launch.first_line}" if continues else "")
