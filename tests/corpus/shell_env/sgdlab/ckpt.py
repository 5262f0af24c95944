"""Checkpoint files: <run>/ckpt/model_<step>.pt, written atomically, last few kept."""
import os
import re
from pathlib import Path

import torch

_NAME = re.compile(r"^model_(\d+)\.pt$")


def ckpt_path(ckpt_dir, step):
    return Path(ckpt_dir) / f"model_{step}.pt"


def save_atomic(state, path):
    """torch.save to a temp file next to `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def list_checkpoints(ckpt_dir):
    """[(step, path)] sorted by step, oldest first. Temp files are ignored."""
    d = Path(ckpt_dir)
    if not d.is_dir():
        return []
    found = []
    for p in d.iterdir():
        m = _NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest(ckpt_dir):
    ckpts = list_checkpoints(ckpt_dir)
    return ckpts[-1][1] if ckpts else None


def prune(ckpt_dir, keep=3):
    for _, p in list_checkpoints(ckpt_dir)[:-keep]:
        p.unlink(missing_ok=True)


def load(path):
    return torch.load(path, map_location="cpu", weights_only=False)
