"""OpenMMLab's mmengine: the Runner's loop is the library's, the policy is in Python config files.

Small projects written here the way OpenMMLab projects are: `configs/_base_/*.py` holding
`default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=..., by_epoch=...),
logger=dict(type='LoggerHook', interval=...))`, a config inheriting them through `_base_ = [...]`
and overriding some keys (dicts merge, `_delete_=True` replaces), `custom_hooks` naming hook
classes the project registers with `@HOOKS.register_module()`, and `tools/train.py` building
`Runner.from_cfg(cfg)` and calling `runner.train()`. The config files are read as data, never run.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

RUNTIME = """\
default_scope = 'mmengine'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
)

custom_hooks = [
    dict(type='RunStatusHook', every=10),
]

load_from = None
resume = False
"""

SCHEDULE = """\
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
"""

EXPERIMENT = """\
_base_ = ['./_base_/runtime.py', './_base_/schedule.py']

model = dict(type='TinyNet', width=64)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4000)
{hooks}
"""
BY_ITER = """\
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, by_epoch=False),
)
"""

HOOKS = """\
import json
import os
import os.path as osp

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RunStatusHook(Hook):

    def __init__(self, every=10):
        self.every = every

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.every_n_train_iters(runner, self.every):
            path = osp.join(runner.work_dir, 'status.json')
            with open(path + '.tmp', 'w') as f:
                json.dump(dict(iter=runner.iter, max_iters=runner.max_iters), f)
            os.replace(path + '.tmp', path)


@HOOKS.register_module()
class LegacyStatusHook(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        path = osp.join(runner.work_dir, 'progress.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(dict(iter=runner.iter), f)
        os.replace(path + '.tmp', path)
"""

TRAIN = """\
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
"""


def _project(tmp_path, hooks=BY_ITER, runtime=RUNTIME, train=TRAIN, extra=None):
    files = {"configs/_base_/runtime.py": runtime, "configs/_base_/schedule.py": SCHEDULE,
             "configs/tiny_4k.py": EXPERIMENT.format(hooks=hooks), "tinypkg/__init__.py": "",
             "tinypkg/hooks.py": HOOKS, "tools/train.py": train}
    files.update(extra or {})
    return audit(tmp_path, files)


def test_a_checkpoint_hook_by_iteration_in_the_config_is_a_periodic_save_in_steps(tmp_path):
    got = _project(tmp_path)
    save, interval = got["save"], got["interval"]
    assert save.verdict == Verdict.YES and "configs/tiny_4k.py:7" in cited(save), (save.summary, cited(save))
    assert interval.verdict == Verdict.PARTIAL and "500 steps" in interval.summary, interval.summary
    assert "configs/tiny_4k.py:7" in cited(interval), cited(interval)


EPOCHS = {"configs/tiny_4k.py": "_base_ = ['./_base_/runtime.py', './_base_/schedule.py']\n"}  # EpochBasedTrainLoop


def test_the_checkpoint_hook_of_a_base_file_is_inherited_with_its_epoch_interval(tmp_path):
    got = _project(tmp_path, hooks="", extra=EPOCHS)
    save, interval = got["save"], got["interval"]
    assert save.verdict == Verdict.YES and "configs/_base_/runtime.py:7" in cited(save), (save.summary, cited(save))
    assert interval.verdict == Verdict.PARTIAL and "1 epochs" in interval.summary, interval.summary


def test_a_checkpoint_hook_at_its_default_interval_or_turned_off_never_saves_periodically(tmp_path):
    for hooks in ("default_hooks = dict(checkpoint=dict(type='CheckpointHook', _delete_=True))\n",
                  "default_hooks = dict(checkpoint=None)\n",
                  "default_hooks = dict(checkpoint=dict(interval=-1))\n"):
        got = _project(tmp_path, hooks=hooks)
        assert got["save"].verdict == Verdict.NO, (hooks, got["save"].summary)
        assert got["interval"].verdict == Verdict.NO, (hooks, got["interval"].summary)


def test_without_default_hooks_the_runner_registers_its_own_checkpoint_and_logger_hooks(tmp_path):
    runtime = RUNTIME.split("default_hooks")[0] + "custom_hooks = []\n"
    got = _project(tmp_path, hooks="", runtime=runtime, extra=EPOCHS)
    assert got["save"].verdict == Verdict.YES, got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "1 epochs" in got["interval"].summary, \
        got["interval"].summary
    assert got["log"].verdict == Verdict.YES, got["log"].summary


def test_a_logger_hook_logs_in_the_iteration_loop(tmp_path):
    got = _project(tmp_path)
    log = got["log"]
    assert log.verdict == Verdict.YES and "configs/tiny_4k.py:6" in cited(log), (log.summary, cited(log))


def test_a_custom_hook_named_in_custom_hooks_writes_progress_from_the_iteration_loop(tmp_path):
    got = _project(tmp_path)
    progress = got["progress"]
    assert progress.verdict == Verdict.YES, progress.summary
    assert {"tinypkg/hooks.py:19", "tinypkg/hooks.py:20"} & cited(progress), cited(progress)


def test_a_hook_class_the_configs_do_not_name_never_runs(tmp_path):
    runtime = RUNTIME.replace("    dict(type='RunStatusHook', every=10),\n",
                              "    # dict(type='RunStatusHook', every=10),\n")
    got = _project(tmp_path, runtime=runtime)
    assert got["progress"].verdict == Verdict.NO, got["progress"].summary


def test_a_project_that_does_not_use_mmengine_gets_nothing_from_config_files(tmp_path):
    train = TRAIN.replace("from mmengine.config import Config\nfrom mmengine.runner import Runner\n",
                          "from minirunner import Config, Runner\n")
    got = _project(tmp_path, train=train,
                   extra={"tinypkg/hooks.py": HOOKS.replace("mmengine.hooks", "minirunner").replace(
                       "mmengine.registry", "minirunner")})
    assert got["save"].verdict == Verdict.NO, got["save"].summary
    assert got["log"].verdict == Verdict.NO, got["log"].summary


BEAT = """

class _Beat(threading.Thread):

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path

    def run(self):
        while True:
            with open(self.path, 'w') as f:
                f.write(str(time.time()))
            time.sleep(30)


@HOOKS.register_module()
class HeartbeatHook(Hook):

    def before_train(self, runner):
        self._beat = _Beat(osp.join(runner.work_dir, 'heartbeat'))
        self._beat.start()
"""


def _beating(tmp_path, listed):
    runtime = RUNTIME.replace("    dict(type='RunStatusHook', every=10),\n",
                              "    dict(type='RunStatusHook', every=10),\n"
                              + ("    dict(type='HeartbeatHook'),\n" if listed else "    # dict(type='HeartbeatHook'),\n"))
    hooks = "import threading\nimport time\n" + HOOKS + BEAT
    return _project(tmp_path, runtime=runtime, extra={"tinypkg/hooks.py": hooks})


def test_a_thread_a_custom_hook_starts_before_training_is_a_heartbeat(tmp_path):
    got = _beating(tmp_path, listed=True)
    assert got["heartbeat"].verdict == Verdict.YES, got["heartbeat"].summary


def test_a_thread_of_a_hook_no_config_names_is_never_started(tmp_path):
    got = _beating(tmp_path, listed=False)
    assert got["heartbeat"].verdict == Verdict.NO, got["heartbeat"].summary


EPOCH_HOOK = """

@HOOKS.register_module()
class EpochStatusHook(Hook):

    def after_train_epoch(self, runner):
        path = osp.join(runner.work_dir, 'status.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(dict(epoch=runner.epoch), f)
        os.replace(path + '.tmp', path)
"""


def test_an_epoch_checkpoint_in_an_iteration_loop_is_saved_once_at_the_end(tmp_path):
    # IterBasedTrainLoop runs the whole training as one big epoch: after_train_epoch runs once, at the end
    got = _project(tmp_path, hooks="default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True))\n")
    assert got["save"].verdict == Verdict.NO, got["save"].summary
    assert got["interval"].verdict == Verdict.NO, got["interval"].summary


def test_an_epoch_hook_in_an_iteration_loop_runs_once(tmp_path):
    runtime = RUNTIME.replace("dict(type='RunStatusHook', every=10)", "dict(type='EpochStatusHook')")
    got = _project(tmp_path, runtime=runtime, extra={"tinypkg/hooks.py": HOOKS + EPOCH_HOOK})
    assert got["progress"].verdict == Verdict.NO, got["progress"].summary


def test_an_epoch_hook_in_an_epoch_loop_runs_every_epoch(tmp_path):
    runtime = RUNTIME.replace("dict(type='RunStatusHook', every=10)", "dict(type='EpochStatusHook')")
    got = _project(tmp_path, hooks="", runtime=runtime, extra={**EPOCHS, "tinypkg/hooks.py": HOOKS + EPOCH_HOOK})
    assert got["progress"].verdict == Verdict.YES, got["progress"].summary
