import os
import threading
from datetime import datetime
from pathlib import Path


class Heartbeat(threading.Thread):
    """Appends a line to heartbeat.log every `period` seconds until stopped.

    It reads the step through a callable and never touches the model, so it keeps
    beating while the loop is stuck in a slow batch or a long save.
    """

    def __init__(self, path, get_step, period: float = 20.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = Path(path)
        self.get_step = get_step
        self.period = period
        self._stopped = threading.Event()

    def run(self):
        while not self._stopped.is_set():
            with open(self.path, "a") as f:
                f.write(f"{datetime.now().isoformat(timespec='seconds')} pid={os.getpid()} "
                        f"step={self.get_step()}\n")
            self._stopped.wait(self.period)

    def stop(self):
        self._stopped.set()
        self.join(timeout=5)
