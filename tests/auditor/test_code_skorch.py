"""skorch nets as code facts: the loop is skorch's `fit`, the policy is in the net's callbacks.

Held-out skorch_cb. A `NeuralNetRegressor(..., callbacks=[...])` runs skorch's epoch and batch
loops when fitted; what happens in them is what its callbacks do:

- `Checkpoint(monitor="valid_loss_best")` (its default monitor) saves only when the validation
  loss is a new best, a best-metric condition; `monitor=None` saves at every epoch end;
- `LoadInitState(checkpoint)` restores the checkpoint's files at the start of fit when they
  exist: a resume nobody has to ask for, unless the callback is only added behind an option;
- a subclass of skorch's `Callback` runs its `on_batch_end` in the batch loop and its
  `on_epoch_end` in the epoch loop.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

CALLBACKS = """\
import json
import logging
import os

from skorch.callbacks import Callback

log = logging.getLogger("meter")


class LossEveryN(Callback):
    def __init__(self, every=10):
        self.every = every
        self.seen = 0

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if training:
            self.seen += 1
            if self.seen % self.every == 0:
                log.info("batch %d train_loss %.4f", self.seen, loss.item())


class StatusJson(Callback):
    def __init__(self, path):
        self.path = path

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"epoch": row["epoch"], "train_loss": row["train_loss"]}, f)
        os.replace(tmp, self.path)
"""

TRAIN = """\
import argparse

import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Checkpoint, LoadInitState

from callbacks import LossEveryN, StatusJson


def build(resume):
    best = Checkpoint(dirname="run/checkpoints", monitor=MONITOR)
    callbacks = [("log", LossEveryN(every=10)), ("best", best), ("status", StatusJson("run/status.json"))]
    if resume:
        callbacks.insert(0, ("load", LoadInitState(best)))
    return NeuralNetRegressor(torch.nn.Linear, module__in_features=4, module__out_features=1, max_epochs=20,
                              callbacks=callbacks)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--resume", action="store_true")
    args = p.parse_args()
    net = build(args.resume)
    x = torch.randn(256, 4)
    net.fit(x, x.sum(1, keepdim=True))


if __name__ == "__main__":
    main()
"""


def _evidence(root, monitor: str):
    return evidence(root, {"README.md": "Train with `python train.py`.\n", "callbacks.py": CALLBACKS,
                           "train.py": TRAIN.replace("MONITOR", monitor)})


def test_a_best_loss_checkpoint_is_a_conditional_save_and_the_callbacks_hooks_run_in_skorchs_loops(tmp_path):
    ev = _evidence(tmp_path, '"valid_loss_best"')
    saves = PROBES["code.checkpoint_saved_in_loop"](ev)
    assert saves.verdict == Verdict.PARTIAL and "best" in saves.summary, saves.summary
    logs = PROBES["code.batch_logging"](ev)
    assert logs.verdict == Verdict.YES, logs.summary
    progress = PROBES["code.progress_written_in_loop"](ev)
    assert progress.verdict == Verdict.YES, progress.summary


def test_load_init_state_added_behind_an_option_resumes_only_when_asked(tmp_path):
    ev = _evidence(tmp_path, '"valid_loss_best"')
    resume = PROBES["code.resume_wired"](ev)
    assert resume.verdict == Verdict.YES, resume.summary
    auto = PROBES["code.auto_resume"](ev)
    assert auto.verdict == Verdict.PARTIAL, auto.summary


def test_a_checkpoint_with_no_monitor_saves_every_epoch(tmp_path):
    ev = _evidence(tmp_path, "None")
    saves = PROBES["code.checkpoint_saved_in_loop"](ev)
    assert saves.verdict == Verdict.YES, saves.summary
    interval = PROBES["code.checkpoint_interval"](ev)
    assert interval.verdict != Verdict.YES and "epoch" in interval.summary, interval.summary
