"""Checkpoint folders: <run_dir>/ckpt/step_000400/{model.safetensors, optimizer.pt,
trainer_state.json}, plus <run_dir>/ckpt/latest naming the newest complete folder."""

import json
import os
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

LATEST = "latest"


def step_dirname(step: int) -> str:
    return f"step_{step:06d}"


def write_latest(ckpt_root: Path, name: str) -> None:
    tmp = ckpt_root / (LATEST + ".tmp")
    tmp.write_text(name + "\n")
    os.replace(tmp, ckpt_root / LATEST)


def read_latest(ckpt_root: Path):
    pointer = Path(ckpt_root) / LATEST
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    return Path(ckpt_root) / name if name else None


def save_checkpoint(ckpt_root, step, model, optimizer, extra=None) -> Path:
    ckpt_root = Path(ckpt_root)
    folder = ckpt_root / step_dirname(step)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(folder / "model.safetensors"))
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    state = {"global_step": step, "saved_at": time.time(), **(extra or {})}
    (folder / "trainer_state.json").write_text(json.dumps(state, indent=2) + "\n")
    # only point at the folder once everything in it is on disk
    write_latest(ckpt_root, folder.name)
    return folder


def load_checkpoint(folder, model, optimizer=None) -> dict:
    folder = Path(folder)
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    if optimizer is not None and (folder / "optimizer.pt").exists():
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    return json.loads((folder / "trainer_state.json").read_text())
