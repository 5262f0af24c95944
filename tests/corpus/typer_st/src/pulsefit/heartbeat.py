"""Liveness file for the lab watchdog (it kills jobs whose heartbeat is older than 2 min)."""

import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    def __init__(self, path: Path, every: float = 20.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = Path(path)
        self.every = every
        self._halt = threading.Event()

    def beat(self) -> None:
        self.path.write_text(f"{time.time():.3f}\n")

    def run(self) -> None:
        while not self._halt.is_set():
            self.beat()
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
