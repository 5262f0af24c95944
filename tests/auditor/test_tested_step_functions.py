"""What a test calls decides whether it trains:

- a function that takes one optimisation step (backward and optimizer step, no loop of its own:
  `Trainer._run_batch`) is a unit of the training, not the training: a test calling it under caplog
  tests a helper (held-out torchrun_snap);
- `first = make_trainer(...)` then `first.train(2)`: a generic method called on an object the test
  bound to a trainer drives training, as `trainer.train()` does.
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from tests.auditor.projects import evidence, write

TRAIN = """\
import logging

import torch

log = logging.getLogger("lab")


class Trainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer

    def _run_batch(self, step, x):
        self.optimizer.zero_grad()
        loss = self.model(x).pow(2).mean()
        loss.backward()
        self.optimizer.step()
        log.info("step %d | loss %.4f", step, loss.item())
        return loss.item()

    def train(self, epochs):
        for epoch in range(epochs):
            for step in range(10):
                self._run_batch(step, torch.randn(8, 4))
            torch.save(self.model.state_dict(), f"ckpt_{epoch}.pt")


if __name__ == "__main__":
    m = torch.nn.Linear(4, 1)
    Trainer(m, torch.optim.SGD(m.parameters(), lr=0.1)).train(3)
"""

TESTS = """\
import logging

import torch

from train import Trainer


def make_trainer():
    m = torch.nn.Linear(4, 1)
    return Trainer(m, torch.optim.SGD(m.parameters(), lr=0.1))


def test_one_batch_logs(caplog):
    trainer = make_trainer()
    with caplog.at_level(logging.INFO, logger="lab"):
        trainer._run_batch(0, torch.randn(8, 4))
    assert "step 0 | loss" in caplog.text


def test_training_logs(caplog):
    first = make_trainer()
    with caplog.at_level(logging.INFO, logger="lab"):
        first.train(2)
    assert "step 9 | loss" in caplog.text
"""


def _tests(root: Path) -> dict:
    files = {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN, "tests/test_train.py": TESTS}
    write(root, files)
    return {t.name: t for t in evidence(root).tests.tests}


def test_a_step_function_is_not_the_training(tmp_path):
    test = _tests(tmp_path)["test_one_batch_logs"]
    assert not test.drives_entry, test.drive


def test_train_on_an_object_bound_to_a_trainer_drives_training(tmp_path):
    test = _tests(tmp_path)["test_training_logs"]
    assert test.drives_entry, test.drive
