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


POINTER = """\
import os

import fire
import torch


def read_latest(root):
    pointer = os.path.join(root, "latest")
    if not os.path.isfile(pointer):
        return None
    with open(pointer) as f:
        name = f.read().strip()
    return os.path.join(root, name) if name else None


class Trainer:
    def __init__(self, run_dir="runs/a"):
        self.run_dir = run_dir

    def train(self, max_steps=600, resume=False):
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        start = 0
        if GUARD:
            path = read_latest(self.run_dir)
            if path is not None:
                state = torch.load(path)
                model.load_state_dict(state["model"])
                opt.load_state_dict(state["opt"])
                start = state["step"]
        for step in range(start + 1, max_steps + 1):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0:
                name = f"step_{step:06d}.pt"
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step},
                           os.path.join(self.run_dir, name))
                with open(os.path.join(self.run_dir, "latest"), "w") as f:
                    f.write(name)

    def evaluate(self):
        model = torch.nn.Linear(4, 1)
        model.load_state_dict(torch.load(read_latest(self.run_dir))["model"])
        return model(torch.randn(64, 4)).pow(2).mean().item()


if __name__ == "__main__":
    fire.Fire(Trainer)
"""


def _pointer_auto_resume(tmp_path, guard: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py train`.\n",
                             "train.py": POINTER.replace("GUARD", guard)})
    return PROBES["code.auto_resume"](ev)


def test_a_latest_pointer_read_behind_a_flag_is_auto_resume_only_when_asked(tmp_path):
    # held-out tb_fire: `read_latest` follows the `latest` file the saves rewrite; `train --resume` asks for it,
    # and the evaluate command's own load of it trains nothing afterwards
    r = _pointer_auto_resume(tmp_path, "resume")
    assert r.verdict == Verdict.PARTIAL and "resume" in r.summary, r.summary


def test_a_latest_pointer_read_at_every_start_is_auto_resume(tmp_path):
    r = _pointer_auto_resume(tmp_path, "True")
    assert r.verdict == Verdict.YES, r.summary
