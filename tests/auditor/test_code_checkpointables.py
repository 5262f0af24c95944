"""fvcore / detectron2's Checkpointer restores its `checkpointables` (optimizer, scheduler) beside the model.

Held-out yacs_hooks: `Checkpointer(model, save_dir, optimizer=opt, scheduler=sched)` keeps the other
objects in `self.checkpointables` and its load restores each with
`self.checkpointables[key].load_state_dict(ckpt.pop(key))`. The restore was said to bring back
"the model weights only". The name is that library's for everything with training state.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import os

import torch


class Checkpointer:
    def __init__(self, model, save_dir, **checkpointables):
        self.model = model
        self.save_dir = save_dir
        self.checkpointables = checkpointables

    def save(self, name):
        data = {"model": self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        torch.save(data, os.path.join(self.save_dir, name + ".pth"))

    def load(self, path):
        ckpt = torch.load(path)
        self.model.load_state_dict(ckpt.pop("model"))
        for key in self.checkpointables:
            if key in ckpt:
                self.checkpointables[key].load_state_dict(ckpt.pop(key))
        return ckpt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--resume-from", default=None)
    a = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ckpt = Checkpointer(model, "out", optimizer=opt)
    start = ckpt.load(a.resume_from).get("iteration", 0) if a.resume_from else 0
    for it in range(start, 1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 100 == 0:
            ckpt.save(f"model_{it:07d}")


if __name__ == "__main__":
    main()
"""


def test_a_checkpointers_checkpointables_are_training_state(tmp_path):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN})
    r = PROBES["code.resume_wired"](ev)
    assert r.verdict == Verdict.YES, r.summary
