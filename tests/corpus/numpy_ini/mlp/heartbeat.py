"""A liveness file rewritten from a background timer.

threading.Timer fires once; _beat() arms the next one before it returns, so the file keeps
being rewritten every `interval` seconds until stop() is called, whatever the training loop
is doing.
"""

import os
import threading
import time


class Heartbeat:
    def __init__(self, path, interval, get_step):
        self.path = path
        self.interval = interval
        self.get_step = get_step
        self._timer = None
        self._stopped = False
        self._lock = threading.Lock()

    def _write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} step={self.get_step()}\n")
        os.replace(tmp, self.path)

    def _beat(self):
        self._write()
        with self._lock:
            if not self._stopped:
                self._timer = threading.Timer(self.interval, self._beat)
                self._timer.daemon = True
                self._timer.start()

    def start(self):
        self._beat()

    def stop(self):
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
