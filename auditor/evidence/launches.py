"""A run's launch folders: Lightning's loggers (CSVLogger, TensorBoardLogger) write each launch of
`fit` into a new `version_N/` of one log folder (`lightning_logs/version_0`, `version_1`, ...),
so a run killed and relaunched leaves one folder a launch, each with its config.yaml
(LightningCLI's SaveConfigCallback: the launch's resolved configuration, the `ckpt_path` it was
given included), hparams.yaml, metrics.csv and checkpoints/.

- `read(run)`: the launch folders in number order, each with the span of its files' mtimes (its
  config and hparams are written as it starts) and the `ckpt_path` its config.yaml records.
- `launch_banners(texts, launches)`: where the 2nd, 3rd, ... launch began in a console log they
  all appended to (`... | tee -a train.log`): the log's first line's shape, recurring exactly
  once a launch (a console that kept no per-step line between them gives no other sign).
- `with_launches(sessions, launches)`: a log's sessions, one a launch, take the launch's times
  where the log has none, and the `ckpt_path` the launch recorded as the explicit resume it was
  given; a recorded configuration with no `ckpt_path` is a launch started without one.

Every read goes through auditor.safeio, confined to the run directory.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor import safeio
from auditor.runfinder import LAUNCH_FOLDER

MAX_LAUNCHES = 64
MAX_FILES = 512  # files of one launch folder whose mtimes are read
CONFIG_BYTES = 1024 * 1024
_CONFIG_NAMES = ("config.yaml", "config.yml")
_CKPT_PATH = re.compile(r"^ckpt_path\s*:[ \t]*(.*?)[ \t]*(?:#.*)?$", re.M)
_NO_PATH = {"", "null", "none", "~", "''", '""'}


@dataclass(frozen=True)
class Launch:
    folder: str  # relative to the run
    start: float | None
    end: float | None
    config: str = ""  # its recorded configuration, relative to the run
    records_ckpt: bool = False  # the configuration has a ckpt_path entry (null or a path)
    ckpt_path: str = ""
    ckpt_line: int = 0


def read(run: Path) -> list[Launch]:
    """The run's launch folders (`version_N/`), in number order."""
    try:
        folders = [p for p in run.iterdir() if LAUNCH_FOLDER.match(p.name) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    folders.sort(key=lambda p: int(p.name.rsplit("_", 1)[-1]))
    return [_launch(run, p) for p in folders[:MAX_LAUNCHES]]


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
    out = Launch(rel, min(times, default=None), max(times, default=None))
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


def _signature(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()))


def launch_banners(texts: list[str], launches: int) -> set[int]:
    """Indexes where the 2nd, 3rd, ... launch began in a log all `launches` appended to."""
    if launches < 2 or not texts or not texts[0].strip():
        return set()
    sig = _signature(texts[0])
    at = [i for i, text in enumerate(texts) if _signature(text) == sig]
    return set(at[1:]) if len(at) == launches else set()


def with_launches(sessions: tuple[Any, ...], launches: list[Launch]) -> tuple[Any, ...]:
    """The log's sessions (runlog.LogSession), completed from the launches when there is one a launch."""
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
