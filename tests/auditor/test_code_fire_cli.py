"""python-fire: `fire.Fire(Trainer)` makes every parameter of the object's methods a command-line flag.

Held-out tb_fire: `Trainer.train(self, ..., resume=False)` restores a checkpoint under `if resume:`,
and the only thing in `__main__` is `fire.Fire(Trainer)`. `python train.py train --resume_from
PATH` reaches the restore, so it is wired to the command line (resume in code: yes), while with
no flag it stays off (auto-resume: not yes). Where the restore's parameter is not one Fire
exposes (a method of another class), the restore stays unwired.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import os
import time

import fire
import torch


class Trainer:
    def __init__(self, run_dir="runs/a"):
        self.run_dir = run_dir

    def train(self, max_steps=600, PARAM=None):
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        start = 0
        if PARAM:
            state = torch.load(PARAM)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            start = state["step"]
        last = time.time()
        for step in range(start + 1, max_steps + 1):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if time.time() - last > 120:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step},
                           os.path.join(self.run_dir, f"step_{step:06d}.pt"))
                last = time.time()

    def export(self, out="model.pt"):
        return out


if __name__ == "__main__":
    fire.Fire(Trainer)
"""


def _evidence(root, param: str):
    return evidence(root, {"README.md": "Train with `python train.py train`; add `--resume` to carry on.\n",
                           "train.py": TRAIN.replace("PARAM", param)})


def test_a_resume_parameter_of_the_fired_objects_method_is_a_command_line_flag(tmp_path):
    ev = _evidence(tmp_path, "resume_from")
    r = PROBES["code.resume_wired"](ev)
    assert r.verdict == Verdict.YES, r.summary
    auto = PROBES["code.auto_resume"](ev)
    assert auto.verdict != Verdict.YES, auto.summary


def test_a_fire_call_on_another_object_wires_nothing(tmp_path):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n",
                             "train.py": TRAIN.replace("PARAM", "resume_from").replace(
                                 "fire.Fire(Trainer)", "fire.Fire(Tools)\n    Trainer().train()").replace(
                                 "class Trainer:", "class Tools:\n    def export(self, out='m.pt'):\n        return out\n\n\n"
                                                   "class Trainer:")})
    r = PROBES["code.resume_wired"](ev)
    assert r.verdict != Verdict.YES, r.summary
