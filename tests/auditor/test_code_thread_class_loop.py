"""A loop in a Thread subclass's run() is the thread's loop, never the training loop.

Held-out corpus project recipe_tune defines `Heartbeat(threading.Thread)`, whose run() beats in a
`while not self._stop.wait(...)` loop, and never creates or starts it. Its beat in that loop was
read as a liveness write "from the training loop itself" (⚠️): the class is a heartbeat thread
that is never started (❌), and a loop that only runs when the thread does is no training loop.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

HEARTBEAT = """
    import os
    import threading
    import time
    from pathlib import Path


    class Heartbeat(threading.Thread):
        def __init__(self, path, interval_s=30.0):
            super().__init__(daemon=True)
            self.path = Path(path)
            self.interval_s = interval_s
            self._stop_event = threading.Event()

        def beat(self):
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(f"{time.time():.0f} pid={os.getpid()}")
            os.replace(tmp, self.path)

        def run(self):
            self.beat()
            while not self._stop_event.wait(self.interval_s):
                self.beat()
"""

TRAIN = """
    import torch

    from utils.heartbeat import Heartbeat


    def main():
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        {start}
        for step in range(100):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
            print(f"step {{step}} loss {{loss.item():.4f}}")


    if __name__ == "__main__":
        main()
"""


def test_a_thread_class_never_started_is_no_heartbeat_and_its_loop_no_training_loop(tmp_path):
    got = audit(tmp_path, {"utils/__init__.py": "from .heartbeat import Heartbeat\n",
                           "utils/heartbeat.py": HEARTBEAT, "train.py": TRAIN.format(start="")})
    beat = got["heartbeat"]
    assert beat.verdict == Verdict.NO, beat.summary
    assert "never started" in beat.summary and "utils/heartbeat.py:8" in cited(beat), (beat.summary, cited(beat))


def test_the_same_thread_started_by_training_is_a_heartbeat(tmp_path):
    got = audit(tmp_path, {"utils/__init__.py": "from .heartbeat import Heartbeat\n",
                           "utils/heartbeat.py": HEARTBEAT,
                           "train.py": TRAIN.format(start='Heartbeat("alive.txt").start()')})
    beat = got["heartbeat"]
    assert beat.verdict == Verdict.YES, beat.summary
