"""A restore counts for resuming only where training runs after it.

Found by trying it: `python train.py evaluate` loads the newest checkpoint to score it, while
`python train.py train` never looks at old checkpoints. The evaluate command's discovery and
restore were a ✅ on auto-resume in code ("at start-up the newest checkpoint is looked up").
A restore in a branch, command or function that trains nothing afterwards (evaluate, export,
a score after training) resumes nothing. A restore helper called before the training loop, in
the same branch, still does.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import glob
import os
import time

import torch


def newest_state(run_dir):
    found = sorted(glob.glob(os.path.join(run_dir, "step_*.pt")))
    return torch.load(found[-1]) if found else None


def train(run_dir, max_steps=600):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start = 0
    RESUME
    last = time.time()
    for step in range(start + 1, max_steps + 1):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if time.time() - last > 120:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step},
                       os.path.join(run_dir, f"step_{step:06d}.pt"))
            last = time.time()


def evaluate(run_dir):
    model = torch.nn.Linear(4, 1)
    state = newest_state(run_dir)
    model.load_state_dict(state["model"])
    print("eval loss", model(torch.randn(64, 4)).pow(2).mean().item())


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["train", "evaluate"])
    p.add_argument("--run-dir", default="runs/a")
    a = p.parse_args()
    if a.command == "train":
        train(a.run_dir)
    else:
        evaluate(a.run_dir)
"""

RESUMES = """state = newest_state(run_dir)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["step"]"""


def _auto_resume(tmp_path, resume: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py train`.\n",
                             "train.py": TRAIN.replace("RESUME", resume)})
    return PROBES["code.auto_resume"](ev)


def test_an_evaluate_command_that_loads_the_newest_checkpoint_is_no_auto_resume(tmp_path):
    r = _auto_resume(tmp_path, "pass")
    assert r.verdict != Verdict.YES, r.summary


def test_the_same_helper_called_before_the_training_loop_is_auto_resume(tmp_path):
    r = _auto_resume(tmp_path, RESUMES)
    assert r.verdict == Verdict.YES, r.summary
