"""Checkpoint files and the SIGALRM save timer."""

import glob
import os
import re
import signal

import torch

_CKPT_RE = re.compile(r"ckpt-(\d+)\.pt$")


class SaveTimer:
    """Raises ``due`` every ``every_secs`` seconds of wall-clock time.

    The handler only flips a flag; the training loop notices it between two
    optimizer steps and does the actual write, so a checkpoint never holds a
    half-updated model.
    """

    def __init__(self, every_secs):
        self.every_secs = float(every_secs)
        self.due = False
        self._previous = None

    def _on_alarm(self, signum, frame):
        self.due = True

    def start(self):
        self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.every_secs, self.every_secs)

    def stop(self):
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._previous is not None:
            signal.signal(signal.SIGALRM, self._previous)


def path_for(ckpt_dir, step):
    return os.path.join(ckpt_dir, "ckpt-%06d.pt" % step)


def save(ckpt_dir, step, model, optimizer):
    os.makedirs(ckpt_dir, exist_ok=True)
    path = path_for(ckpt_dir, step)
    tmp = path + ".tmp"
    torch.save({"step": step, "model": model.state_dict(),
                "optimizer": optimizer.state_dict()}, tmp)
    os.replace(tmp, path)
    return path


def newest(ckpt_dir):
    found = []
    for name in glob.glob(os.path.join(ckpt_dir, "ckpt-*.pt")):
        match = _CKPT_RE.search(name)
        if match:
            found.append((int(match.group(1)), name))
    return max(found)[1] if found else None


def restore(path, model, optimizer):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["step"]
