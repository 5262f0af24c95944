"""Checkpoint files and the run-state file that remembers which MLflow run we belong to."""

import json
import re
import time
from pathlib import Path

import torch

STATE_FILE = "run_state.json"
_STEP_RE = re.compile(r"step_(\d+)\.pt$")


def save_checkpoint(ckpt_dir, step, epoch, model, optimizer, run_id):
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_dir / f"step_{step:06d}.pt"
    tmp = path.with_suffix(".pt.tmp")
    torch.save({
        "step": step,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "mlflow_run_id": run_id,
    }, tmp)
    tmp.replace(path)
    return path


def newest_checkpoint(ckpt_dir):
    found = []
    for p in Path(ckpt_dir).glob("step_*.pt"):
        m = _STEP_RE.search(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return max(found)[1] if found else None


def load_checkpoint(path, model, optimizer):
    blob = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(blob["model"])
    optimizer.load_state_dict(blob["optimizer"])
    torch.set_rng_state(blob["torch_rng"])
    return blob["step"], blob["epoch"]


def read_run_state(ckpt_dir):
    path = Path(ckpt_dir) / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_run_state(ckpt_dir, run_id, experiment_id):
    path = Path(ckpt_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "run_id": run_id,
        "experiment_id": experiment_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }, indent=2) + "\n")
    return path
