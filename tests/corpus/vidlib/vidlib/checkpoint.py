"""Saving and loading training state."""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

_STEP_FILE = re.compile(r"^step_(\d+)\.pt$")


def save_checkpoint(path: str | os.PathLike, *, model, optimizer, step: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike, *, model, optimizer=None) -> int:
    """Load weights (and optimizer state, if given) and return the saved step."""
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])


def find_latest(ckpt_dir: str | os.PathLike) -> Path | None:
    """The `step_<N>.pt` file with the highest N in `ckpt_dir`, or None."""
    ckpt_dir = Path(ckpt_dir)
    if not ckpt_dir.is_dir():
        return None
    steps = [(int(m.group(1)), p) for p in ckpt_dir.iterdir() if (m := _STEP_FILE.match(p.name))]
    return max(steps)[1] if steps else None
