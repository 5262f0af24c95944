"""torch.distributed.checkpoint (DCP) folders: <run_dir>/checkpoints/step_<N>/.

A folder counts as complete once DCP has written its `.metadata` file, which it does last;
a folder without one is what a crash in the middle of a save leaves behind.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.checkpoint.stateful import Stateful

log = logging.getLogger(__name__)
STEP_DIR = re.compile(r"^step_(\d+)$")


class TrainState(Stateful):
    """Model, optimizer and step, in the shape DCP wants (state_dict / load_state_dict)."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int = 0):
        self.model, self.optimizer, self.step = model, optimizer, step

    def state_dict(self):
        model_sd, optim_sd = get_state_dict(self.model, self.optimizer)
        return {"model": model_sd, "optim": optim_sd, "step": self.step}

    def load_state_dict(self, state_dict):
        set_state_dict(self.model, self.optimizer,
                       model_state_dict=state_dict["model"], optim_state_dict=state_dict["optim"])
        self.step = int(state_dict["step"])


def step_dir(run_dir: str | Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step_{step:06d}"


def complete_checkpoints(run_dir: str | Path) -> list[Path]:
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        m = STEP_DIR.match(p.name)
        if m and p.is_dir():
            if (p / ".metadata").is_file():
                found.append((int(m.group(1)), p))
            else:
                log.warning("ignoring incomplete checkpoint %s (no .metadata)", p)
    return [p for _, p in sorted(found)]


def save(state: TrainState, run_dir: str | Path) -> Path:
    path = step_dir(run_dir, state.step)
    dcp.save({"train": state}, checkpoint_id=str(path))
    return path


def restore_latest(state: TrainState, run_dir: str | Path) -> Path | None:
    """Load the newest complete checkpoint into `state`; None when there is none."""
    ckpts = complete_checkpoints(run_dir)
    if not ckpts:
        return None
    dcp.load({"train": state}, checkpoint_id=str(ckpts[-1]))
    return ckpts[-1]
