"""A restore of the newest checkpoint reached only through a CLI's `resume` command is asked for,
not automatic: `pulsefit resume cfg.toml` finds and restores the newest checkpoint, `pulsefit train`
always starts at step 0 (held-out typer_st). Auto-resume is partial, naming the command, as behind
an option that is off by default. The same discovery in the `train` command is automatic.

It also shows that a src/ layout's package (`from pulsefit.trainer import Trainer`) is scanned
code: `trainer.restore(folder)` on its object reaches Trainer.restore.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAINER = """\
import time
from pathlib import Path

import torch


class Trainer:
    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.model = torch.nn.Linear(4, 1)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.step = 0

    def restore(self, path):
        state = torch.load(path)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.step = state["step"]

    def fit(self, max_steps=1000):
        last = time.time()
        while self.step < max_steps:
            loss = self.model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            self.opt.step()
            self.step += 1
            if time.time() - last > 120:
                torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step": self.step},
                           self.run_dir / f"step_{self.step:06d}.pt")
                last = time.time()


def newest(run_dir):
    found = sorted(Path(run_dir).glob("step_*.pt"))
    return found[-1] if found else None
"""

CLI = """\
import typer

from lab.trainer import Trainer, newest

app = typer.Typer()


@app.command()
def train(run_dir: str):
    trainer = Trainer(run_dir)
    {in_train}
    trainer.fit()


@app.command({name})
def {function}(run_dir: str):
    trainer = Trainer(run_dir)
    folder = newest(run_dir)
    if folder is not None:
        trainer.restore(folder)
    trainer.fit()
"""


def _auto(root: Path, in_train: str = "pass", name: str = "", function: str = "resume"):
    files = {"README.md": "Train with `lab train runs/a`.\n", "pyproject.toml":
             '[project]\nname = "lab"\nversion = "0"\n[project.scripts]\nlab = "lab.cli:app"\n',
             "src/lab/__init__.py": "", "src/lab/trainer.py": TRAINER,
             "src/lab/cli.py": CLI.format(in_train=in_train, name=name, function=function)}
    write(root, files)
    return PROBES["code.auto_resume"](evidence(root))


@pytest.mark.parametrize("name, function", [("", "resume"), ('"continue"', "continue_run")])
def test_a_resume_command_is_asked_for(tmp_path, name, function):
    r = _auto(tmp_path, name=name, function=function)
    assert r.verdict == Verdict.PARTIAL, r.summary
    assert "resume" in r.summary or "continue" in r.summary, r.summary


def test_the_same_discovery_in_the_train_command_is_automatic(tmp_path):
    r = _auto(tmp_path, in_train="found = newest(run_dir)\n    if found is not None:\n        trainer.restore(found)")
    assert r.verdict == Verdict.YES, r.summary
