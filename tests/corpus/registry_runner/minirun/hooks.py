import json
import os
import time
from datetime import datetime

from .registry import HOOKS


class Hook:
    """Base class: the runner calls these at the matching points of training."""

    priority = 50

    def before_train(self, runner):
        pass

    def before_train_epoch(self, runner):
        pass

    def before_train_iter(self, runner, batch_idx):
        pass

    def after_train_iter(self, runner, batch_idx, outputs):
        pass

    def after_train_epoch(self, runner):
        pass

    def after_train(self, runner):
        pass

    @staticmethod
    def every_n_epochs(runner, n):
        return n > 0 and (runner.epoch + 1) % n == 0

    @staticmethod
    def every_n_inner_iters(batch_idx, n):
        return n > 0 and (batch_idx + 1) % n == 0


@HOOKS.register_module()
class IterTimerHook(Hook):
    priority = 10

    def before_train_iter(self, runner, batch_idx):
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, outputs):
        runner.message_hub["time"] = time.perf_counter() - self._start


@HOOKS.register_module()
class LoggerHook(Hook):
    """Logs loss, lr and iteration time every `interval` iterations, to the log file and to
    vis_data/scalars.json (one JSON object a line)."""

    priority = 90

    def __init__(self, interval=10):
        self.interval = interval

    def after_train_iter(self, runner, batch_idx, outputs):
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        lr = runner.optimizer.param_groups[0]["lr"]
        it_time = runner.message_hub.get("time", 0.0)
        runner.logger.info(
            f"Epoch(train) [{runner.epoch + 1}][{batch_idx + 1:>3}/{len(runner.train_dataloader)}]  "
            f"lr: {lr:.4e}  time: {it_time:.4f}  loss: {outputs['loss']:.4f}")
        scalars = dict(lr=lr, time=round(it_time, 4), loss=round(outputs["loss"], 4),
                       epoch=runner.epoch + 1, iter=runner.iter, step=runner.iter)
        with open(os.path.join(runner.log_dir, "vis_data", "scalars.json"), "a") as f:
            f.write(json.dumps(scalars) + "\n")


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Saves a checkpoint every `interval` epochs (or iterations with by_epoch=False)."""

    priority = 70

    def __init__(self, interval=1, by_epoch=True):
        self.interval = interval
        self.by_epoch = by_epoch

    def after_train_epoch(self, runner):
        if self.by_epoch and self.every_n_epochs(runner, self.interval):
            runner.logger.info(f"Saving checkpoint at {runner.epoch + 1} epochs")
            runner.save_checkpoint(f"epoch_{runner.epoch + 1}.pth")

    def after_train_iter(self, runner, batch_idx, outputs):
        if not self.by_epoch and (runner.iter + 1) % self.interval == 0:
            runner.logger.info(f"Saving checkpoint at {runner.iter + 1} iterations")
            runner.save_checkpoint(f"iter_{runner.iter + 1}.pth")


@HOOKS.register_module()
class StatusFileHook(Hook):
    """Keeps `work_dir/status.json` at the latest iteration, for dashboards that poll files."""

    priority = 95

    def __init__(self, filename="status.json"):
        self.filename = filename

    def after_train_iter(self, runner, batch_idx, outputs):
        status = dict(epoch=runner.epoch + 1, iter=runner.iter + 1, loss=outputs["loss"],
                      updated=datetime.now().isoformat(timespec="seconds"))
        path = os.path.join(runner.work_dir, self.filename)
        with open(path + ".tmp", "w") as f:
            json.dump(status, f)
        os.replace(path + ".tmp", path)
