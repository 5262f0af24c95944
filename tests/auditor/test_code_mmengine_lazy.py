"""mmengine's pure-Python config style: bases imported under `with read_base():`, hook classes
given as imported names (`type=CheckpointHook`), and inherited settings changed in place
(`default_hooks.update(dict(...))`, merged key by key) or replaced by a plain assignment.
Read as data like the older style, never executed.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited
from tests.auditor.test_code_mmengine import HOOKS, TRAIN

RUNTIME = """\
from mmengine.hooks import CheckpointHook, IterTimerHook, LoggerHook

default_scope = None

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, interval=20),
    checkpoint=dict(type=CheckpointHook, interval=1),
)
load_from = None
resume = False
"""

EXPERIMENT = """\
from mmengine.config import read_base

with read_base():
    from ._base_.runtime import *

from tinypkg.hooks import RunStatusHook

default_hooks.update(
    dict(
        logger=dict(interval=50),
        checkpoint=dict(interval=500, by_epoch=False),
    ))
custom_hooks = [dict(type=RunStatusHook, every=10)]
"""


def _lazy(tmp_path, experiment=EXPERIMENT):
    return audit(tmp_path, {"configs/_base_/runtime.py": RUNTIME, "configs/tiny_4k.py": experiment,
                            "tinypkg/__init__.py": "", "tinypkg/hooks.py": HOOKS, "tools/train.py": TRAIN})


def test_hooks_updated_in_a_pure_python_config_save_and_log_by_iteration(tmp_path):
    got = _lazy(tmp_path)
    save, interval, log = got["save"], got["interval"], got["log"]
    assert save.verdict == Verdict.YES and "configs/tiny_4k.py:11" in cited(save), (save.summary, cited(save))
    assert interval.verdict == Verdict.PARTIAL and "500 steps" in interval.summary, interval.summary
    assert log.verdict == Verdict.YES and "configs/tiny_4k.py:10" in cited(log), (log.summary, cited(log))


def test_a_hook_class_given_as_an_imported_name_in_custom_hooks_runs_in_the_loop(tmp_path):
    got = _lazy(tmp_path)
    assert got["progress"].verdict == Verdict.YES, got["progress"].summary


def test_a_plain_assignment_in_a_pure_python_config_replaces_the_inherited_hooks(tmp_path):
    experiment = EXPERIMENT.replace("default_hooks.update(\n    dict(", "default_hooks = (\n    dict(").replace(
        "checkpoint=dict(interval=500, by_epoch=False)", "checkpoint=dict(type=CheckpointHook, by_epoch=False)")
    got = _lazy(tmp_path, experiment.replace("from tinypkg.hooks import RunStatusHook",
                                             "from mmengine.hooks import CheckpointHook\n"
                                             "from tinypkg.hooks import RunStatusHook"))
    assert got["save"].verdict == Verdict.NO, got["save"].summary
