"""mmengine configs that take a value from their base config by reference.

An old-style config may write `interval={{_base_.save_every}}` (the placeholder mmengine
substitutes before it runs the file; `{{...}}` parses as a set of a set) or `_base_.save_every`
(the Pythonic form): both are the value the `_base_` files hold under that name, with the
file and line that set it. A name the bases do not hold stays unknown, never a guess.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import cited
from tests.auditor.test_code_mmengine import _project

RUNTIME = """\
default_scope = 'mmengine'
save_every = 500
log_every = 50
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
)
load_from = None
resume = False
"""

BRACES = """\
default_hooks = dict(
    logger=dict(interval={{_base_.log_every}}),
    checkpoint=dict(interval={{_base_.save_every}}, by_epoch=False),
)
"""

ATTRIBUTE = """\
default_hooks = dict(
    logger=dict(interval=_base_.log_every),
    checkpoint=dict(interval=_base_.save_every * 4, by_epoch=False),
)
"""

MISSING = """\
default_hooks = dict(
    checkpoint=dict(interval={{_base_.not_there}}, by_epoch=False),
)
"""


def test_a_placeholder_takes_the_base_configs_value_and_cites_where_it_is_set(tmp_path):
    got = _project(tmp_path, hooks=BRACES, runtime=RUNTIME)
    save, interval = got["save"], got["interval"]
    assert save.verdict == Verdict.YES, save.summary
    assert interval.verdict == Verdict.PARTIAL and "500 steps" in interval.summary, interval.summary
    assert "configs/_base_/runtime.py:2" in cited(interval), cited(interval)


def test_a_pythonic_base_reference_is_read_as_a_value_too(tmp_path):
    got = _project(tmp_path, hooks=ATTRIBUTE, runtime=RUNTIME)
    interval = got["interval"]
    assert interval.verdict == Verdict.PARTIAL and "2000 steps" in interval.summary, interval.summary


def test_a_reference_the_bases_do_not_hold_is_no_interval(tmp_path):
    got = _project(tmp_path, hooks=MISSING, runtime=RUNTIME)
    interval = got["interval"]
    assert interval.verdict != Verdict.YES, interval.summary
    assert "500 steps" not in interval.summary, interval.summary
