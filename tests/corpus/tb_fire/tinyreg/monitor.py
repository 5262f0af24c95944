"""Liveness file for the shared box: one line per beat in <run_dir>/heartbeat.log."""

import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    """Appends `<unix time> alive step=<n>` lines to a file.

    Can run on its own as a daemon thread (`start()`, beats every `period` seconds), or be
    driven by hand with `beat()`.
    """

    def __init__(self, path, period: float = 30.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = Path(path)
        self.period = period
        self.step = 0
        self._stop_event = threading.Event()

    def beat(self, step=None) -> None:
        if step is not None:
            self.step = step
        with open(self.path, "a") as fh:
            fh.write(f"{time.time():.3f} alive step={self.step}\n")

    def run(self) -> None:
        while not self._stop_event.wait(self.period):
            self.beat()

    def stop(self) -> None:
        self._stop_event.set()
