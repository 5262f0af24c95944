"""checkpoints/step_XXXXXX/: model.safetensors + optimizer.pt + meta.json."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_checkpoint(root: Path, step: int, model, optimizer, **extra) -> Path:
    folder = root / f"step_{step:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(weights, folder / "model.safetensors")
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    meta = {"step": step, "weights": "model.safetensors", "optimizer": "optimizer.pt",
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    # meta.json last: a folder without it is an interrupted save and is ignored
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def list_checkpoints(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("step_*") if (p / "meta.json").is_file())


def latest_checkpoint(root: Path) -> Path | None:
    found = list_checkpoints(root)
    return found[-1] if found else None


def load_checkpoint(folder: Path, model, optimizer) -> dict:
    meta = json.loads((folder / "meta.json").read_text())
    model.load_state_dict(load_file(folder / meta["weights"]))
    optimizer.load_state_dict(torch.load(folder / meta["optimizer"], weights_only=True))
    return meta


def prune(root: Path, keep: int) -> None:
    for old in list_checkpoints(root)[:-keep]:
        shutil.rmtree(old)
