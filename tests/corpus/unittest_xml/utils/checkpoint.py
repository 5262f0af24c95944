import glob
import os
import re

import torch

_PATTERN = "ckpt_step_*.pt"


def checkpoint_path(run_dir, step):
    return os.path.join(run_dir, "ckpt_step_%07d.pt" % step)


def save_checkpoint(run_dir, step, model, optimizer):
    path = checkpoint_path(run_dir, step)
    tmp = path + ".partial"
    torch.save({"step": step,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict()}, tmp)
    os.replace(tmp, path)
    return path


def latest_checkpoint(run_dir):
    """Path of the checkpoint with the highest step in run_dir, or None."""
    found = []
    for path in glob.glob(os.path.join(run_dir, _PATTERN)):
        m = re.search(r"ckpt_step_(\d+)\.pt$", path)
        if m:
            found.append((int(m.group(1)), path))
    return max(found)[1] if found else None


def load_checkpoint(path, model, optimizer):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["step"]
