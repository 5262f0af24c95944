import os.path as osp
import threading
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


class _Watchdog(threading.Thread):

    def __init__(self, path, timeout, poll=30.0):
        super().__init__(daemon=True)
        self.path, self.timeout, self.poll = path, timeout, poll
        self.last_iter_time = time.time()
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.wait(self.poll):
            idle = time.time() - self.last_iter_time
            with open(self.path, 'a') as f:
                f.write(f'{time.strftime("%H:%M:%S")} idle={idle:.0f}s\n')

    def stop(self):
        self._stop_evt.set()


@HOOKS.register_module()
class StallWatchdogHook(Hook):
    """Writes ``watchdog.txt`` from a side thread while training runs."""

    def __init__(self, timeout=900, poll=30.0):
        self.timeout = timeout
        self.poll = poll
        self._dog = None

    def before_train(self, runner):
        self._dog = _Watchdog(osp.join(runner.work_dir, 'watchdog.txt'),
                              self.timeout, self.poll)
        self._dog.start()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self._dog.last_iter_time = time.time()

    def after_train(self, runner):
        self._dog.stop()
