"""mmengine Runners given their settings some other way than a config file of the project.

`Runner(model=..., default_hooks=dict(...), resume=True, ...)` takes the settings as keywords
(a dict bound to a name first, as often as not); a Runner whose settings the reading cannot
see (a config built by a function, hooks made by a helper) is claimed to do nothing: mmengine's
defaults apply only when the settings are known to leave the hooks out.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

KEYWORDS = """\
import torch
from mmengine.runner import Runner


def main():
    default_hooks = dict(
        logger=dict(type='LoggerHook', interval=100),
        checkpoint=dict(type='CheckpointHook', interval=2000, by_epoch=False),
    )
    runner = Runner(
        model=build_model(),
        work_dir='work_dirs/tiny',
        train_dataloader=build_loader(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=20000),
        default_hooks={hooks},
        resume=True,
    )
    runner.train()


if __name__ == '__main__':
    main()
"""

FROM_CODE = """\
import argparse

from mmengine.config import Config
from mmengine.runner import Runner


def make_config(args):
    return Config(dict(model=dict(type='TinyNet'), work_dir=args.work_dir))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work-dir', default='work_dirs/tiny')
    cfg = make_config(parser.parse_args())
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
"""


def test_a_runner_given_its_hooks_as_keywords_saves_logs_and_resumes_as_they_say(tmp_path):
    got = audit(tmp_path, {"train.py": KEYWORDS.format(hooks="default_hooks")})
    assert got["save"].verdict == Verdict.YES and "train.py:8" in cited(got["save"]), got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "2000 steps" in got["interval"].summary, \
        got["interval"].summary
    assert got["log"].verdict == Verdict.YES and "train.py:7" in cited(got["log"]), got["log"].summary
    assert got["auto"].verdict == Verdict.YES and "train.py:17" in cited(got["auto"]), got["auto"].summary


def test_hooks_a_helper_makes_are_not_taken_for_mmengine_defaults(tmp_path):
    got = audit(tmp_path, {"train.py": KEYWORDS.format(hooks="make_hooks()")})
    assert got["save"].verdict == Verdict.NO, got["save"].summary
    assert got["log"].verdict == Verdict.NO, got["log"].summary


def test_a_config_built_in_code_with_no_config_file_is_not_taken_for_mmengine_defaults(tmp_path):
    got = audit(tmp_path, {"train.py": FROM_CODE})
    assert got["save"].verdict == Verdict.NO, got["save"].summary
    assert got["log"].verdict == Verdict.NO, got["log"].summary
