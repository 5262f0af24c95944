import threading
from pathlib import Path


class Heartbeat:
    """Touches `path` every `every` seconds from a threading.Timer that re-arms itself, so the
    file stays fresh while an episode is stuck in a slow env call; a stale mtime means a hung
    process, not a slow one."""

    def __init__(self, path, every):
        self.path = Path(path)
        self.every = every
        self._timer = None
        self._stopped = threading.Event()

    def _beat(self):
        if self._stopped.is_set():
            return
        self.path.touch()
        self._timer = threading.Timer(self.every, self._beat)
        self._timer.daemon = True
        self._timer.start()

    def start(self):
        self._beat()
        return self

    def stop(self):
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
