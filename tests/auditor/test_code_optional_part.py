"""An existence check of an optional part of a checkpoint the caller chose is not finding a checkpoint.

Held-out tb_fire: `load_checkpoint(folder, model, optimizer=None)` loads the weights of the folder
its caller names, then the optimizer only `if (folder / "optimizer.pt").exists()`. That check asks
whether the chosen checkpoint holds an optimizer, not whether any checkpoint exists. Reached
without a guard (tb_fire's `evaluate` command; here a fine-tuning start from a required
`--init` folder), it was a ✅ on auto-resume in code ("at start-up the newest checkpoint is
looked up"). A path the code builds itself and checks before
restoring (`Path(run_dir) / "last.pt"`, the run's newest checkpoint) is still a discovery.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

CKPT = """\
import json
from pathlib import Path

import torch


def save_checkpoint(root, step, model, optimizer):
    folder = Path(root) / f"step_{step:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / "model.pt")
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    (folder / "state.json").write_text(json.dumps({"step": step}))


def load_checkpoint(folder, model, optimizer=None):
    folder = Path(folder)
    model.load_state_dict(torch.load(folder / "model.pt"))
    if optimizer is not None and (folder / "optimizer.pt").exists():
        optimizer.load_state_dict(torch.load(folder / "optimizer.pt"))
    return json.loads((folder / "state.json").read_text())
"""

TRAIN = """\
import argparse
import time

import torch

from ckpt import load_checkpoint, save_checkpoint


def train(run_dir, init, steps=1000):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start = load_checkpoint(init, model, opt)["step"]
    last = time.time()
    for step in range(start + 1, steps + 1):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if time.time() - last > 120:
            save_checkpoint(run_dir, step, model, opt)
            last = time.time()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", default="runs/a")
    p.add_argument("--init", required=True, help="the pretrained checkpoint folder to start from")
    a = p.parse_args()
    train(a.run_dir, a.init)
"""

LAST = """\
import time
from pathlib import Path

import torch


def train(run_dir="runs/a", steps=1000):
    model = torch.nn.Linear(4, 1)
    last_file = Path(run_dir) / "last.pt"
    if last_file.exists():
        model.load_state_dict(torch.load(last_file))
    mark = time.time()
    for step in range(steps):
        model(torch.randn(8, 4)).pow(2).mean().backward()
        if time.time() - mark > 120:
            torch.save(model.state_dict(), last_file)
            mark = time.time()


if __name__ == "__main__":
    train()
"""


def test_checking_an_optional_part_of_the_chosen_checkpoint_is_no_auto_resume(tmp_path):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN, "ckpt.py": CKPT})
    r = PROBES["code.auto_resume"](ev)
    assert r.verdict != Verdict.YES, r.summary


def test_the_runs_own_last_file_checked_before_restoring_is_still_found(tmp_path):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": LAST})
    r = PROBES["code.auto_resume"](ev)
    assert r.verdict == Verdict.YES, r.summary
