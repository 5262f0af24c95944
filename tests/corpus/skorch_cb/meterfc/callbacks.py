"""Our skorch callbacks. skorch's own ones (Checkpoint, TrainEndCheckpoint, LoadInitState,
EpochScoring, PrintLog) are wired up in train.py."""

import json
import logging
import os
import threading
import time
from pathlib import Path

from skorch.callbacks import Callback

log = logging.getLogger("meterfc.callbacks")


class BatchLossLog(Callback):
    """Log the training loss every ``every`` training batches."""

    def __init__(self, every=10):
        self.every = every

    def initialize(self):
        self.seen_ = 0
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.seen_ = 0

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        if not training:
            return
        self.seen_ += 1
        if self.every and self.seen_ % self.every == 0:
            log.info("epoch %d batch %d train_loss %.5f", len(net.history), self.seen_, loss.item())


class StatusFile(Callback):
    """Rewrite status.json after every epoch; the dashboard cron reads it."""

    def __init__(self, path):
        self.path = Path(path)

    def initialize(self):
        self.batches_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        done = len(net.history)
        if done:
            log.info("history restored from checkpoint: continuing after epoch %d", done)

    def on_batch_end(self, net, training=None, **kwargs):
        if training:
            self.batches_ += 1

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self._write({
            "state": "running",
            "epoch": row["epoch"],
            "train_loss": row["train_loss"],
            "valid_loss": row.get("valid_loss"),
            "batches_this_process": self.batches_,
        })
        log.info("status.json updated at epoch %d", row["epoch"])

    def on_train_end(self, net, **kwargs):
        row = net.history[-1] if len(net.history) else {}
        self._write({"state": "finished", "epoch": row.get("epoch", 0),
                     "train_loss": row.get("train_loss"), "valid_loss": row.get("valid_loss"),
                     "batches_this_process": self.batches_})

    def _write(self, payload):
        payload["time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(tmp, self.path)


class Heartbeat(Callback):
    """Touch ``path`` from a daemon thread every ``every`` seconds while a fit runs, so the
    box's watchdog can tell a hung fit from a slow epoch."""

    def __init__(self, path, every=30.0):
        self.path = Path(path)
        self.every = every

    def _beat(self):
        while not self._stop.wait(self.every):
            self.path.write_text(f"{time.time():.0f}\n")

    def on_train_begin(self, net, **kwargs):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        log.info("heartbeat every %ss -> %s", self.every, self.path)

    def on_train_end(self, net, **kwargs):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
