"""A thread whose target writes the heartbeat once and returns is no heartbeat: nothing refreshes it.

Found by trying it: `threading.Thread(target=beat, daemon=True).start()` with `beat()` writing
heartbeat.txt once was a ✅ on the heartbeat ("a heartbeat thread is started"). A liveness signal
is refreshed: the target beats in a loop (`while not stop.wait(30)`), through a function that
loops, or a Timer re-arms itself.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import threading
import time
from pathlib import Path

import torch

STOP = threading.Event()


def write_beat():
    Path("heartbeat.txt").write_text(str(time.time()))


def beat():
    BODY


def main():
    threading.Thread(target=beat, daemon=True).start()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(100000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    STOP.set()


if __name__ == "__main__":
    main()
"""

ONCE = "write_beat()"
LOOP = "while not STOP.wait(30):\n        write_beat()"
FOREVER = "beat_forever()\n\n\ndef beat_forever():\n    while True:\n        write_beat()\n        time.sleep(30)"


def _heartbeat(tmp_path, body: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN.replace("BODY", body)})
    return PROBES["code.heartbeat_thread"](ev)


def test_a_thread_that_beats_once_is_no_heartbeat(tmp_path):
    r = _heartbeat(tmp_path, ONCE)
    assert r.verdict != Verdict.YES, r.summary
    assert "once" in r.summary, r.summary


def test_a_thread_that_beats_in_a_loop_is_a_heartbeat(tmp_path):
    r = _heartbeat(tmp_path, LOOP)
    assert r.verdict == Verdict.YES, r.summary


def test_a_thread_whose_target_calls_a_looping_function_is_a_heartbeat(tmp_path):
    r = _heartbeat(tmp_path, FOREVER)
    assert r.verdict == Verdict.YES, r.summary
