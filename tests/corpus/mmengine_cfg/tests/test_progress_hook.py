import json
from types import SimpleNamespace

import torch

from toyreg.hooks import ProgressFileHook


class _FakeOptim:

    def get_lr(self):
        return dict(lr=[0.001])


def _runner(tmp_path, it):
    return SimpleNamespace(
        work_dir=str(tmp_path), iter=it, max_iters=100,
        optim_wrapper=_FakeOptim())


def test_progress_json_written_every_interval(tmp_path):
    hook = ProgressFileHook(interval=10)
    # runner.iter is the 0-based index of the iteration that just ran
    hook.after_train_iter(_runner(tmp_path, 9), 9,
                          outputs=dict(loss=torch.tensor(0.5)))
    state = json.loads((tmp_path / 'progress.json').read_text())
    assert state['status'] == 'running'
    assert state['iter'] == 9 and state['max_iters'] == 100
    assert state['loss'] == 0.5


def test_progress_json_skipped_between_intervals(tmp_path):
    hook = ProgressFileHook(interval=10)
    hook.after_train_iter(_runner(tmp_path, 4), 4,
                          outputs=dict(loss=torch.tensor(0.5)))
    assert not (tmp_path / 'progress.json').exists()


def test_progress_json_marked_finished(tmp_path):
    hook = ProgressFileHook(interval=10)
    hook.after_train(_runner(tmp_path, 100))
    state = json.loads((tmp_path / 'progress.json').read_text())
    assert state['status'] == 'finished'
