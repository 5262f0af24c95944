import datetime
import json
import logging
import os
import threading
import time

from .train_loop import HookBase

logger = logging.getLogger("minidet.engine")


class IterationTimer(HookBase):
    """Times each iteration and reports the total at the end."""

    def before_train(self):
        self._start = time.perf_counter()

    def before_step(self):
        self._step_start = time.perf_counter()

    def after_step(self):
        self.trainer.storage.put_scalar("time", time.perf_counter() - self._step_start)

    def after_train(self):
        total = time.perf_counter() - self._start
        done = self.trainer.iter - self.trainer.start_iter
        logger.info("Total training time: %s (%d iterations)",
                    datetime.timedelta(seconds=int(total)), done)


class LRScheduler(HookBase):
    def __init__(self, optimizer, scheduler):
        self._optimizer = optimizer
        self._scheduler = scheduler

    def after_step(self):
        self.trainer.storage.put_scalar("lr", self._optimizer.param_groups[0]["lr"])
        self._scheduler.step()


class PeriodicCheckpointer(HookBase):
    """Writes ``model_<iter>.pth`` every ``period`` and ``model_final.pth`` at the last one."""

    def __init__(self, checkpointer, period, max_iter):
        self.checkpointer = checkpointer
        self.period = int(period)
        self.max_iter = max_iter

    def after_step(self):
        it = self.trainer.iter
        if (it + 1) % self.period == 0:
            self.checkpointer.save(f"model_{it:07d}", iteration=it)
        if it >= self.max_iter - 1:
            self.checkpointer.save("model_final", iteration=it)


class CommonMetricPrinter:
    """Formats the latest scalars as one human-readable line."""

    def __init__(self, max_iter):
        self.max_iter = max_iter
        self._last = None

    def format(self, storage, it):
        latest = storage.latest()
        iter_time = storage.median("time")
        eta = datetime.timedelta(seconds=int(iter_time * (self.max_iter - it - 1)))
        losses = "  ".join(f"{k}: {storage.median(k):.4f}"
                           for k in sorted(latest) if "loss" in k)
        lr = latest.get("lr", (it, float("nan")))[1]
        return (f"eta: {eta}  iter: {it}  {losses}  time: {iter_time:.4f}  "
                f"data_time: {storage.median('data_time'):.4f}  lr: {lr:.5f}")

    def write(self, storage, it):
        logger.info(self.format(storage, it))


class JSONWriter:
    """Appends the latest scalars as one json object per line."""

    def __init__(self, path):
        self.path = path

    def write(self, storage, it):
        record = {"iteration": it}
        record.update({k: v for k, (_, v) in storage.latest().items()})
        with open(self.path, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")


class PeriodicWriter(HookBase):
    def __init__(self, writers, period=20):
        self._writers = writers
        self._period = period

    def after_step(self):
        it = self.trainer.iter
        if (it + 1) % self._period == 0 or it == self.trainer.max_iter - 1:
            for w in self._writers:
                w.write(self.trainer.storage, it)


class HeartbeatWriter(HookBase):
    """Touches ``<output>/heartbeat`` from a daemon thread every ``period_s`` seconds with the
    current iteration, so a watchdog can tell a hung job from a slow one.
    """

    def __init__(self, output_dir, period_s=30.0):
        self.path = os.path.join(output_dir, "heartbeat")
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = None

    def _beat(self):
        while not self._stop.is_set():
            with open(self.path, "w") as f:
                f.write(f"{time.time():.1f} iter={self.trainer.iter}\n")
            self._stop.wait(self.period_s)

    def before_train(self):
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._thread.start()

    def after_train(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
