"""Callbacks the lab's job monitor relies on. Both write next to metrics.csv (trainer.log_dir)."""

import json
import os
import threading
import time
from pathlib import Path

from pytorch_lightning.callbacks import Callback


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class StatusFile(Callback):
    """Keeps <log_dir>/status.json current: step, epoch, last loss, wall time.

    Args:
        every_n_steps: rewrite the file every this many optimizer steps.
        filename: name of the file inside the log dir.
    """

    def __init__(self, every_n_steps: int = 50, filename: str = "status.json"):
        self.every_n_steps = every_n_steps
        self.filename = filename
        self.path = None
        self._t0 = None

    def write(self, trainer, state: str) -> None:
        loss = trainer.callback_metrics.get("train_loss")
        payload = {
            "state": state,
            "step": trainer.global_step,
            "epoch": trainer.current_epoch,
            "train_loss": None if loss is None else round(float(loss), 6),
            "elapsed_s": round(time.monotonic() - self._t0, 1),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _atomic_write(self.path, json.dumps(payload, indent=1) + "\n")

    def on_fit_start(self, trainer, pl_module):
        if trainer.is_global_zero:
            self.path = Path(trainer.log_dir) / self.filename
            self._t0 = time.monotonic()
            self.write(trainer, "starting")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self.path is not None and trainer.global_step % self.every_n_steps == 0:
            self.write(trainer, "running")

    def on_fit_end(self, trainer, pl_module):
        if self.path is not None:
            self.write(trainer, "finished")


class Heartbeat(Callback):
    """Appends a timestamp to <log_dir>/heartbeat from a background thread every `interval_s`
    seconds, so the monitor can tell a hung job from a slow epoch.

    Args:
        interval_s: seconds between beats.
        filename: name of the file inside the log dir.
    """

    def __init__(self, interval_s: float = 30.0, filename: str = "heartbeat"):
        self.interval_s = interval_s
        self.filename = filename
        self.path = None
        self._stop = threading.Event()
        self._thread = None

    def beat(self) -> None:
        with open(self.path, "a") as fh:
            fh.write(f"{time.time():.3f} pid={os.getpid()}\n")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()

    def on_fit_start(self, trainer, pl_module):
        if not trainer.is_global_zero:
            return
        self.path = Path(trainer.log_dir) / self.filename
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def on_fit_end(self, trainer, pl_module):
        self._stop.set()
