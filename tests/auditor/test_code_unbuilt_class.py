"""A method called on some object reaches the classes the project builds, not every class with that method.

Held-out yacs_hooks: the trainer calls `h.before_train()` for each hook it was given, and
`build_hooks()` builds an IterationTimer, a checkpointer and a writer, never the
HeartbeatWriter whose `before_train` starts a heartbeat thread. The call reached every
`before_train` by name, so the thread was taken as started (a ✅ on the heartbeat). A class
nothing creates (nor a subclass of it) has no instance whose method could run; one that is
created, or whose subclass is, still runs.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

HOOKS = """\
import threading
import time
from pathlib import Path


class HookBase:
    def before_train(self):
        pass

    def after_step(self):
        pass


class Printer(HookBase):
    def after_step(self):
        print("step", self.trainer.iter, "loss", self.trainer.loss)


class HeartbeatWriter(HookBase):
    def __init__(self, path, period=30):
        self.path, self.period = Path(path), period

    def _beat(self):
        while True:
            self.path.write_text(str(time.time()))
            time.sleep(self.period)

    def before_train(self):
        threading.Thread(target=self._beat, daemon=True).start()
"""

TRAIN = """\
import torch

import hooks


class Trainer:
    def __init__(self, hook_list):
        self.hooks = hook_list
        for h in self.hooks:
            h.trainer = self
        self.model = torch.nn.Linear(4, 1)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.iter, self.loss = 0, 0.0

    def train(self, max_iter=1000):
        for h in self.hooks:
            h.before_train()
        for self.iter in range(max_iter):
            loss = self.model(torch.randn(8, 4)).pow(2).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.loss = loss.item()
            for h in self.hooks:
                h.after_step()


if __name__ == "__main__":
    Trainer(BUILT).train()
"""


def _heartbeat(tmp_path, built: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "hooks.py": HOOKS,
                             "train.py": TRAIN.replace("BUILT", built)})
    return PROBES["code.heartbeat_thread"](ev)


def test_a_hook_class_nothing_builds_starts_no_thread(tmp_path):
    r = _heartbeat(tmp_path, "[hooks.Printer()]")
    assert r.verdict != Verdict.YES, r.summary


def test_the_same_hook_built_starts_its_thread(tmp_path):
    r = _heartbeat(tmp_path, '[hooks.Printer(), hooks.HeartbeatWriter("hb.txt")]')
    assert r.verdict == Verdict.YES, r.summary
