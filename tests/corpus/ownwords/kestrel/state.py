"""Training state files: state-<step>.pt in the output folder."""
import os
import re
from pathlib import Path

import torch

STATE_NAME = re.compile(r"state-(\d+)\.pt$")


def persist_state(out_dir, step, model, optimizer, loader_gen, keep):
    out_dir = Path(out_dir)
    target = out_dir / f"state-{step:06d}.pt"
    tmp = target.with_suffix(".pt.partial")
    torch.save({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "loader_rng": loader_gen.get_state()}, tmp)
    os.replace(tmp, target)
    for old in list_states(out_dir)[:-keep]:
        old.unlink()
    return target


def list_states(out_dir):
    found = [p for p in Path(out_dir).glob("state-*.pt") if STATE_NAME.search(p.name)]
    return sorted(found, key=lambda p: int(STATE_NAME.search(p.name).group(1)))


def newest_state(out_dir):
    states = list_states(out_dir)
    return states[-1] if states else None


def restore_state(path, model, optimizer, loader_gen):
    blob = torch.load(path, weights_only=False)
    model.load_state_dict(blob["model"])
    optimizer.load_state_dict(blob["optimizer"])
    loader_gen.set_state(blob["loader_rng"])
    return blob["step"]
