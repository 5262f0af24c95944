"""Where checkpoints live and which one is newest."""

import re
from pathlib import Path

STEP_FILE = re.compile(r"^step-(\d+)\.ckpt$")


def checkpoint_path(out_dir, step: int) -> Path:
    return Path(out_dir) / "checkpoints" / f"step-{step:06d}.ckpt"


def list_checkpoints(out_dir) -> list[Path]:
    """The run's step-NNNNNN.ckpt files, oldest step first."""
    folder = Path(out_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := STEP_FILE.match(p.name))]
    return [p for _, p in sorted(found)]


def newest_checkpoint(out_dir) -> Path | None:
    ckpts = list_checkpoints(out_dir)
    return ckpts[-1] if ckpts else None


def prune_checkpoints(out_dir, keep: int) -> list[Path]:
    """Delete all but the `keep` newest step checkpoints; other files are left alone."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    doomed = list_checkpoints(out_dir)[:-keep]
    for p in doomed:
        p.unlink()
    return doomed
