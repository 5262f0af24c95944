"""Checkpoints on $SCRATCH: step_<N>.pt files and a latest.pt symlink to the newest one.

The symlink is swapped atomically (symlink to a temp name, then rename over latest.pt), so a
job killed mid-save still finds the previous complete checkpoint behind latest.pt.
"""

import os
from pathlib import Path

import torch

LATEST = "latest.pt"


def save(ckpt_dir, step, state):
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"step_{step:07d}.pt"
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)

    link_tmp = ckpt_dir / (LATEST + ".new")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(path.name, link_tmp)
    os.replace(link_tmp, ckpt_dir / LATEST)
    return path


def load_latest(ckpt_dir):
    """(path, state) of the checkpoint latest.pt points at, or (None, None) on a first start."""
    link = Path(ckpt_dir) / LATEST
    if not link.exists():
        return None, None
    target = link.resolve()
    return target, torch.load(target, map_location="cpu", weights_only=True)
