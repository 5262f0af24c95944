"""Whether a restoring function has a caller in the project (probes `code.resume_wired`: a public
restore nothing in the project calls takes its path from its user). Asked of the short names
each function calls, kept in the evidence in place of every call site: a model's `.train()` /
`.eval()` mode switch is no call of a function named so, and a function calling itself is no
caller."""

from __future__ import annotations

from pathlib import Path

from tests.auditor.projects import evidence

LIB = """\
import torch


class Trainer:
    def __init__(self, model):
        self.model = model

    def resume(self, path):
        state = torch.load(path)
        self.model.load_state_dict(state["model"])
        if state.get("again"):
            self.resume(state["again"])

    def train(self, steps):
        for step in range(steps):
            self.model.train()
            torch.save({"model": self.model.state_dict()}, f"ckpt_{step}.pt")
"""


def test_mode_switches_and_a_function_calling_itself_are_no_callers(tmp_path: Path) -> None:
    other = "def evaluate(model):\n    model.eval()\n    model.train()\n    return model\n"
    code = evidence(tmp_path, {"lib.py": LIB, "other.py": other}).code
    assert {"Trainer.resume", "Trainer.train"} <= {f.qualname.partition("::")[2] for f in code.functions.values()}
    assert not code.called_elsewhere("Trainer.resume")
    assert not code.called_elsewhere("Trainer.train")  # only `model.train()` switches name it


def test_a_call_by_name_from_another_function_is_a_caller(tmp_path: Path) -> None:
    caller = "from lib import Trainer\n\n\ndef main(model, path):\n    Trainer(model).resume(path)\n"
    trainer = "def run(t, loader):\n    t.train(loader, 10)\n"
    code = evidence(tmp_path, {"lib.py": LIB, "cli.py": caller, "run.py": trainer}).code
    assert code.called_elsewhere("Trainer.resume")
    assert code.called_elsewhere("Trainer.train")  # two arguments: not a mode switch (`model.train(False)` is one)
