"""mmengine's resume: `runner.train()` restores what the config's `resume` / `load_from` say.

mmengine's `Runner.train()` calls `load_or_resume()`: with `resume=True` and a `load_from`
path it restores model, optimizer, schedulers and iteration from that checkpoint; with
`resume=True` and `load_from=None` it finds the newest checkpoint of the work_dir itself (and
starts afresh when there is none). OpenMMLab's `tools/train.py` sets them from `--resume`
(`--resume PATH`, or `--resume` alone for the newest one); a config may set `resume = True`.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import cited
from tests.auditor.test_code_mmengine import RUNTIME, TRAIN, _project

OPTION = """\
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one of the work dir when no path is given')
"""
SETTING = """\
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
"""
FLAG = """\
    parser.add_argument('--resume', action='store_true', help='resume from the latest checkpoint automatically')
"""


def _train(option: str, setting: str) -> str:
    text = TRAIN.replace("    return parser.parse_args()\n", option + "    return parser.parse_args()\n")
    return text.replace("    runner = Runner.from_cfg(cfg)\n", setting + "    runner = Runner.from_cfg(cfg)\n")


def test_resume_with_a_path_sets_load_from_and_the_runner_restores_training_state(tmp_path):
    train = _train(OPTION, SETTING)
    got = _project(tmp_path, train=train)
    resume = got["resume"]
    line = train.splitlines().index("        cfg.load_from = args.resume") + 1
    assert resume.verdict == Verdict.YES and f"tools/train.py:{line}" in cited(resume), (resume.summary, cited(resume))


def test_resume_without_a_path_finds_the_newest_checkpoint_only_when_the_option_is_given(tmp_path):
    train = _train(OPTION, SETTING)
    got = _project(tmp_path, train=train)
    auto = got["auto"]
    line = train.splitlines().index("    if args.resume == 'auto':") + 1
    assert auto.verdict == Verdict.PARTIAL and f"tools/train.py:{line}" in cited(auto), (auto.summary, cited(auto))


def test_a_resume_flag_handed_to_the_config_resumes_from_the_newest_checkpoint_behind_the_flag(tmp_path):
    got = _project(tmp_path, train=_train(FLAG, "    cfg.resume = args.resume\n"))
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary
    assert got["auto"].verdict == Verdict.PARTIAL, got["auto"].summary


def test_a_config_that_says_resume_true_resumes_the_newest_checkpoint_by_default(tmp_path):
    got = _project(tmp_path, runtime=RUNTIME.replace("resume = False", "resume = True"))
    auto, resume = got["auto"], got["resume"]
    assert auto.verdict == Verdict.YES and "configs/_base_/runtime.py:15" in cited(auto), (auto.summary, cited(auto))
    assert resume.verdict == Verdict.YES, resume.summary


def test_without_resume_anywhere_nothing_resumes(tmp_path):
    got = _project(tmp_path, runtime=RUNTIME.replace("load_from = None", "load_from = 'pretrained/tiny.pth'"))
    assert got["resume"].verdict == Verdict.NO, got["resume"].summary
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


def test_resume_set_by_a_helper_that_merges_the_options_into_the_config(tmp_path):
    helper = ("def merge_args(cfg, args):\n" + SETTING.replace("    ", "    ", 1) + "    return cfg\n\n\n")
    train = _train(OPTION, "    cfg = merge_args(cfg, args)\n").replace("def main():", helper + "def main():")
    got = _project(tmp_path, train=train)
    line = train.splitlines().index("        cfg.load_from = args.resume") + 1
    assert got["resume"].verdict == Verdict.YES and f"tools/train.py:{line}" in cited(got["resume"]), \
        (got["resume"].summary, cited(got["resume"]))
    assert got["auto"].verdict == Verdict.PARTIAL, got["auto"].summary
