"""Things other people look at while the stream trains: metrics.json and the heartbeat."""

import json
import os
import threading
import time
from pathlib import Path


def write_metrics(path, values):
    """Rewrite metrics.json in place (tmp file + rename, so DVC never reads half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(values, indent=2) + "\n")
    os.replace(tmp, path)


class Heartbeat:
    """Touches ``path`` every ``period_s`` seconds from a daemon thread."""

    def __init__(self, path, period_s):
        self.path = Path(path)
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def beat(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{time.time():.3f}\n")

    def _run(self):
        while not self._stop.wait(self.period_s):
            self.beat()

    def start(self):
        self.beat()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1.0)
