"""heartbeat.log: one line per beat, `<unix time> <utc time> pid=<pid> step=<step>`."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    def __init__(self, path: Path, period_s: float = 30.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = Path(path)
        self.period_s = period_s
        self.step = 0
        self._halt = threading.Event()

    def beat(self, step: int | None = None) -> None:
        if step is not None:
            self.step = step
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        with open(self.path, "a") as f:
            f.write(f"{now:.3f} {stamp} pid={os.getpid()} step={self.step}\n")

    def run(self) -> None:
        while not self._halt.wait(self.period_s):
            self.beat()

    def stop(self) -> None:
        self._halt.set()
