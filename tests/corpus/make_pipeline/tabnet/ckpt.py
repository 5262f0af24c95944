"""ckpt-<step>.pt files in <out_dir>/checkpoints/; only the newest `keep_last` are kept."""

import os
from pathlib import Path

import torch


def _oldest_first(ckpt_dir):
    return sorted(Path(ckpt_dir).glob("ckpt-*.pt"), key=os.path.getmtime)


def save(ckpt_dir, step, state, keep_last=None):
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"ckpt-{step:06d}.pt"
    tmp = ckpt_dir / f".ckpt-{step:06d}.pt.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)
    if keep_last:
        prune(ckpt_dir, keep_last)
    return path


def prune(ckpt_dir, keep_last):
    """Delete all but the `keep_last` most recently written checkpoints."""
    for old in _oldest_first(ckpt_dir)[:-keep_last]:
        old.unlink()


def newest(ckpt_dir):
    """The most recently written ckpt-*.pt, by modification time, or None."""
    files = _oldest_first(ckpt_dir)
    return files[-1] if files else None


def load(path):
    return torch.load(path, map_location="cpu", weights_only=True)
