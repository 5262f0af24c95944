"""Liveness file for long jobs on the shared cluster."""

import os
import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    """Rewrites ``path`` with the current time every ``interval_s`` seconds until stopped.

    The cluster's reaper looks at the file's age to decide whether a job has hung.
    """

    def __init__(self, path, interval_s: float = 30.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = Path(path)
        self.interval_s = interval_s
        self._stop_event = threading.Event()

    def beat(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{time.time():.0f} pid={os.getpid()}\n")
        os.replace(tmp, self.path)

    def run(self) -> None:
        self.beat()
        while not self._stop_event.wait(self.interval_s):
            self.beat()

    def stop(self) -> None:
        self._stop_event.set()
