"""A heartbeat class whose `start()` method starts its thread, when nothing calls that method, starts
no thread: `Heartbeat(path, 20)` built, `.stop()` called at the end, `.start()` never (held-out
sk_stream). Training that starts from a script searches every function, and the thread's own
`start()` was taken as called. The same class with `hb.start()` in the training keeps its ✅.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

MONITOR = """\
import threading
import time
from pathlib import Path


class Heartbeat:
    def __init__(self, path, period_s):
        self.path = Path(path)
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def beat(self):
        self.path.write_text(f"{time.time():.3f}\\n")

    def _run(self):
        while not self._stop.wait(self.period_s):
            self.beat()

    def start(self):
        self.beat()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
"""

TRAIN = """\
import torch

from lab.monitor import Heartbeat


def train():
    hb = Heartbeat("run/heartbeat", 20){start}
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
    hb.stop()


if __name__ == "__main__":
    train()
"""


def _heartbeat(root: Path, start: str) -> Verdict:
    ev = evidence(root, {"README.md": "Train with `python -m lab.train`.\n", "lab/__init__.py": "",
                         "lab/monitor.py": MONITOR, "lab/train.py": TRAIN.format(start=start)})
    return PROBES["code.heartbeat_thread"](ev).verdict


def test_a_thread_whose_start_method_nothing_calls_is_not_started(tmp_path):
    assert _heartbeat(tmp_path, "") != Verdict.YES


@pytest.mark.parametrize("start", ["\n    hb.start()", ".start()"])
def test_the_same_thread_started_by_the_training_is_a_heartbeat(tmp_path, start):
    assert _heartbeat(tmp_path, start) == Verdict.YES
