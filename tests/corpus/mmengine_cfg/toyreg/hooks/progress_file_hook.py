import json
import os
import os.path as osp
import time

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ProgressFileHook(Hook):
    """Keep ``<work_dir>/progress.json`` up to date.

    The file is replaced (write to a temp file, then rename) every
    ``interval`` training iterations, so a reader never sees half a file.
    """

    priority = 'LOW'

    def __init__(self, interval=25, filename='progress.json'):
        self.interval = interval
        self.filename = filename

    def _dump(self, runner, status, loss=None):
        state = dict(
            status=status,
            iter=runner.iter,
            max_iters=runner.max_iters,
            loss=loss,
            lr=runner.optim_wrapper.get_lr()['lr'][0],
            updated=time.strftime('%Y-%m-%d %H:%M:%S'),
        )
        path = osp.join(runner.work_dir, self.filename)
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(state, f, indent=2)
        os.replace(tmp, path)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.every_n_train_iters(runner, self.interval):
            loss = None
            if outputs is not None and 'loss' in outputs:
                loss = round(outputs['loss'].item(), 6)
            self._dump(runner, 'running', loss)

    def after_train(self, runner):
        self._dump(runner, 'finished')
