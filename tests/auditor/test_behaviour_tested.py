"""Tested? by behaviour: a test drives training and asserts on the requirement's observable effect."""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

SRC = {
    "README.md": "Train with `python -m trainer --out run`.\n",
    "trainer/__init__.py": "",
    "trainer/__main__.py": "from trainer.loop import train\ntrain()\n",
    "trainer/loop.py": "def train(out='run'):\n    for b in range(3):\n        loss.backward()\n        opt.step()\n",
    "trainer/util.py": "def lr(step):\n    return 0.1\n",
}

TESTS = '''
import subprocess
import sys

import pytest

from trainer.loop import train
from trainer.util import lr


def run(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "trainer", "--out", str(tmp_path), *extra])


def ckpts(path):
    return sorted(path.glob("ckpt_*.pt"))


def test_checkpoints_are_written(tmp_path):
    run(tmp_path)
    assert len(ckpts(tmp_path)) >= 2


def test_progress_file_in_process(tmp_path):
    train(out=str(tmp_path))
    status = (tmp_path / "status.json").read_text()
    assert '"step"' in status


def test_log_lines_per_step(tmp_path, capsys):
    train(out=str(tmp_path))
    assert "loss=" in capsys.readouterr().out


def test_heartbeat_but_skipped(tmp_path):
    run(tmp_path)
    assert (tmp_path / "heartbeat.log").exists()


def test_resume_given_a_flag(tmp_path):
    run(tmp_path)
    out = run(tmp_path, "--resume", str(tmp_path / "ckpt_2.pt"))
    assert "resumed from step 2" in str(out)


def test_only_a_helper():
    assert lr(0) == 0.1


def test_model_train_mode_is_not_training(tmp_path):
    model = Model()
    model.train()
    assert (tmp_path / "status.json").exists()


def test_runs_but_asserts_nothing(tmp_path):
    run(tmp_path)
    (tmp_path / "heartbeat.log").read_text()
'''

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_train" name="test_checkpoints_are_written" time="3"/>
<testcase classname="tests.test_train" name="test_log_lines_per_step" time="1"><failure message="no"/></testcase>
<testcase classname="tests.test_train" name="test_heartbeat_but_skipped" time="0"><skipped message="slow"/></testcase>
<testcase classname="tests.test_train" name="test_resume_given_a_flag" time="3"/>
<testcase classname="tests.test_train" name="test_only_a_helper" time="0"/>
<testcase classname="tests.test_train" name="test_model_train_mode_is_not_training" time="0"/>
<testcase classname="tests.test_train" name="test_runs_but_asserts_nothing" time="1"/>
</testsuite></testsuites>
"""


def project(tmp_path: Path, config: str = "") -> Evidence:
    files = {**SRC, "tests/test_train.py": TESTS, "reports/junit.xml": JUNIT}
    if config:
        files["audit.yaml"] = config
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return Evidence(resolve(load_config(tmp_path)))


def effect_verdict(ev: Evidence, effect: str, **params):
    return PROBES["tests.effect_tested"](ev, effect=effect, **params)


def test_what_each_test_drives_and_asserts_on(tmp_path):
    t = {f.name: f for f in project(tmp_path).tests.tests}
    assert t["test_checkpoints_are_written"].drives_entry and "checkpoints" in t["test_checkpoints_are_written"].effects
    assert "subprocess" in t["test_checkpoints_are_written"].drive
    assert t["test_progress_file_in_process"].drives_entry and "train(" in t["test_progress_file_in_process"].drive
    assert t["test_progress_file_in_process"].effects == {"progress"}
    assert "step_log" in t["test_log_lines_per_step"].effects
    assert t["test_resume_given_a_flag"].resume_option and "resumed" in t["test_resume_given_a_flag"].effects
    assert not t["test_only_a_helper"].drives_entry
    assert not t["test_model_train_mode_is_not_training"].drives_entry  # model.train() sets a mode
    assert t["test_runs_but_asserts_nothing"].asserts == 0


def test_a_passed_test_that_drives_training_and_asserts_on_the_effect_is_yes(tmp_path):
    r = effect_verdict(project(tmp_path), "checkpoints", requirement="periodic-checkpoints")
    assert r.verdict == Verdict.YES and r.citations[0].location() == "tests/test_train.py:19"


def test_no_junit_result_is_no_evidence(tmp_path):
    r = effect_verdict(project(tmp_path), "progress")
    assert r.verdict == Verdict.NO_EVIDENCE and "no JUnit result" in r.summary


def test_failed_skipped_assertless_or_helper_only_tests_keep_failing_with_the_reason(tmp_path):
    ev = project(tmp_path)
    r = effect_verdict(ev, "step_log")
    assert r.verdict == Verdict.NO and "failed" in r.summary
    r = effect_verdict(ev, "heartbeat")
    assert r.verdict == Verdict.NO and "skipped" in r.summary
    ev.tests.tests  # noqa: B018
    r = effect_verdict(ev, "resumed", automatic=True)
    assert r.verdict == Verdict.NO and "resume path or flag" in r.summary
    assert effect_verdict(ev, "resumed").verdict == Verdict.YES  # explicit resume is tested


def test_no_tests_at_all_is_no_and_names_the_key(tmp_path):
    (tmp_path / "train.py").write_text("loss.backward()\nopt.step()\n", encoding="utf-8")
    r = effect_verdict(Evidence(resolve(load_config(tmp_path))), "checkpoints")
    assert r.verdict == Verdict.NO and "no tests" in r.summary and "`tests`" in r.summary


def test_required_test_names_are_a_project_option(tmp_path):
    ev = project(tmp_path, "required_tests:\n  periodic-checkpoints: [test_only_a_helper]\n")
    r = effect_verdict(ev, "checkpoints", requirement="periodic-checkpoints")
    assert r.verdict == Verdict.NO and "tests a helper" in r.summary  # the named test decides
    assert effect_verdict(ev, "checkpoints", requirement="checkpoint-interval").verdict == Verdict.YES  # not named


RERUN_TESTS = '''
import subprocess
import sys


def run(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "trainer", "--out", str(tmp_path), *extra])


def test_rerun_without_an_option_continues(tmp_path):
    """A kill, then the unchanged command: nobody passes --resume."""
    run(tmp_path)
    out = run(tmp_path)  # same command: --resume latest is the default
    assert "resumed from step 2" in str(out)
'''

RERUN_JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_rerun" name="test_rerun_without_an_option_continues" time="3"/>
</testsuite></testsuites>
"""


def test_a_resume_option_named_only_in_a_comment_or_docstring_is_not_handed_to_training(tmp_path):
    files = {**SRC, "tests/test_rerun.py": RERUN_TESTS, "reports/junit.xml": RERUN_JUNIT}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    ev = Evidence(resolve(load_config(tmp_path)))
    t = {f.name: f for f in ev.tests.tests}["test_rerun_without_an_option_continues"]
    assert not t.resume_option and "resumed" in t.effects
    r = effect_verdict(ev, "resumed", automatic=True)
    assert r.verdict == Verdict.YES and r.citations[0].location() == "tests/test_rerun.py:10"
