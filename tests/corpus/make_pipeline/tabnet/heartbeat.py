"""progress.json, rewritten by its own thread so that it keeps moving while a batch is stuck."""

import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path


class ProgressHeartbeat(threading.Thread):
    def __init__(self, path, every_s):
        super().__init__(name="progress-heartbeat", daemon=True)
        self.path = Path(path)
        self.every_s = every_s
        self.fields = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._started_at = time.time()

    def update(self, **fields):
        with self._lock:
            self.fields.update(fields)

    def write(self):
        with self._lock:
            snapshot = dict(self.fields)
        snapshot.update(pid=os.getpid(), uptime_s=round(time.time() - self._started_at, 1),
                        updated=datetime.now().isoformat(timespec="seconds"))
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(snapshot, indent=2) + "\n")
        os.replace(tmp, self.path)

    def run(self):
        self.write()
        while not self._stopped.wait(self.every_s):
            self.write()

    def stop(self):
        self._stopped.set()
        self.join(timeout=5)
        self.write()
