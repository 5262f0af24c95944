"""Checkpoint files: <run-dir>/ckpt/step_NNNNNNN.pt, written to a temp name then renamed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

_STEP_RE = re.compile(r"step_(\d+)\.pt$")


def path_for(ckpt_dir: Path, step: int) -> Path:
    return Path(ckpt_dir) / f"step_{step:07d}.pt"


def save(ckpt_dir: Path, step: int, model, optimizer, extra: dict | None = None) -> Path:
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    target = path_for(ckpt_dir, step)
    tmp = target.with_suffix(".pt.tmp")
    torch.save({"step": step, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), **(extra or {})}, tmp)
    os.replace(tmp, target)
    return target


def list_steps(ckpt_dir: Path) -> list[tuple[int, Path]]:
    found = []
    for p in Path(ckpt_dir).glob("step_*.pt"):
        m = _STEP_RE.search(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def newest(ckpt_dir: Path) -> Path | None:
    steps = list_steps(ckpt_dir)
    return steps[-1][1] if steps else None


def load(path: Path, model, optimizer) -> int:
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])


def prune(ckpt_dir: Path, keep_last: int) -> None:
    if keep_last <= 0:
        return
    for _, p in list_steps(ckpt_dir)[:-keep_last]:
        p.unlink(missing_ok=True)
