import threading
import time
from pathlib import Path


class Heartbeat(threading.Thread):
    """Touches a heartbeat file every `interval` seconds until stopped."""

    def __init__(self, path, interval=30):
        super().__init__(daemon=True)
        self.path = Path(path)
        self.interval = interval
        self._stop_event = threading.Event()

    def beat(self):
        self.path.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))

    def run(self):
        while not self._stop_event.is_set():
            self.beat()
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()


def fraction_done(epoch, epochs, batch, batches):
    return (epoch * batches + batch + 1) / (epochs * batches)


def write_progress(path, epoch, epochs, batch, batches, loss):
    fields = {
        "status": "training",
        "epoch": f"{epoch + 1}/{epochs}",
        "batch": f"{batch + 1}/{batches}",
        "progress": f"{100 * fraction_done(epoch, epochs, batch, batches):.0f}%",
        "loss": f"{loss:.5f}",
        "updated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    Path(path).write_text("".join(f"{key}: {value}\n" for key, value in fields.items()))
