"""Touches a file every few seconds from a background thread.

Written for the old cluster launcher, which killed jobs whose heartbeat file went stale.
"""
import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    def __init__(self, path, every_s=20.0):
        super().__init__(daemon=True)
        self.path = Path(path)
        self.every_s = every_s
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.is_set():
            self.path.write_text(f"{time.time():.3f}\n")
            self._stop_evt.wait(self.every_s)

    def stop(self):
        self._stop_evt.set()
