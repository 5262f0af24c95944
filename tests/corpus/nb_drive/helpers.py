"""Small things train.ipynb imports so the notebook stays readable.

Kept outside the notebook so they can be tested (tests/test_helpers.py).
"""
import glob
import os
import re
import threading
import time
from datetime import datetime

import torch
from torch.utils.data import Dataset

CKPT_PATTERN = "ckpt_step*.pt"


def now():
    return datetime.now().strftime("%H:%M:%S")


def ckpt_name(step):
    return f"ckpt_step{step:06d}.pt"


def save_ckpt(folder, step, model, opt, extra=None):
    """torch.save model+optimizer to <folder>/ckpt_stepNNNNNN.pt (tmp file then rename,
    Drive sometimes leaves half-written files when the runtime dies)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, ckpt_name(step))
    state = {"step": step, "model": model.state_dict(), "opt": opt.state_dict()}
    if extra:
        state.update(extra)
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def newest_ckpt(folder):
    """Path of the checkpoint with the highest step in folder, or None."""
    best, best_step = None, -1
    for path in glob.glob(os.path.join(folder, CKPT_PATTERN)):
        m = re.search(r"ckpt_step(\d+)\.pt$", path)
        if m and int(m.group(1)) > best_step:
            best, best_step = path, int(m.group(1))
    return best


def load_ckpt(path, model, opt):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    return state


class Every:
    """Wall-clock timer: `if saver.due(): ...` is true once every `minutes`."""

    def __init__(self, minutes):
        self.seconds = minutes * 60
        self.last = time.time()

    def due(self):
        if time.time() - self.last >= self.seconds:
            self.last = time.time()
            return True
        return False


def write_progress(path, **fields):
    """Overwrite path with one `key: value` line per field plus the time."""
    fields["updated"] = datetime.now().isoformat(timespec="seconds")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for k, v in fields.items():
            f.write(f"{k}: {v}\n")
    os.replace(tmp, path)


def keep_alive(path, every_s=30):
    """Touch `path` with the time every `every_s` seconds from a daemon Timer.
    Returns the first Timer (already started)."""

    def beat():
        with open(path, "w") as f:
            f.write(datetime.now().isoformat(timespec="seconds") + "\n")
        t = threading.Timer(every_s, beat)
        t.daemon = True
        t.start()

    first = threading.Timer(every_s, beat)
    first.daemon = True
    first.start()
    return first


class NoisySine(Dataset):
    """y = sin(3x) + noise. `delay` fakes the latency of reading from a mounted Drive."""

    def __init__(self, n=4096, seed=0, delay=0.0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, 1, generator=g) * 4 - 2
        self.y = torch.sin(3 * self.x) + 0.1 * torch.randn(n, 1, generator=g)
        self.delay = delay

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        return self.x[i], self.y[i]
