import logging
import os
import random
from pathlib import Path

import torch

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def save_checkpoint(ckpt_dir: Path, step: int, model, optimizer, keep_last: int = 3) -> Path:
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}
    path = ckpt_dir / f"step_{step:06d}.pt"
    torch.save(state, path)
    # write-then-rename so a kill during the save never leaves a broken last.pt
    tmp = ckpt_dir / "last.pt.tmp"
    torch.save(state, tmp)
    os.replace(tmp, ckpt_dir / "last.pt")
    prune_checkpoints(ckpt_dir, keep_last)
    return path


def prune_checkpoints(ckpt_dir: Path, keep_last: int) -> None:
    if keep_last <= 0:
        return
    steps = sorted(ckpt_dir.glob("step_*.pt"))
    for old in steps[:-keep_last]:
        old.unlink()


def load_checkpoint(path: Path, model, optimizer) -> int:
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])
