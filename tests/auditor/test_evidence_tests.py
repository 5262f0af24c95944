"""Tests evidence: test functions by AST joined with JUnit XML outcomes."""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.config import ProjectConfig, load_config
from auditor.evidence import tests as tests_ev

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="tests.test_train" name="test_drives_entry" time="1.5"/>
<testcase classname="tests.test_train" name="test_subprocess[a]" time="2.0"/>
<testcase classname="tests.test_train" name="test_subprocess[b]" time="2.5">
  <failure message="AssertionError: no checkpoint">assert False</failure></testcase>
<testcase classname="tests.test_train.TestSlow" name="test_cli" time="60.1">
  <failure message="Failed: Timeout &gt;60.0s">+++ Timeout +++</failure></testcase>
<testcase classname="tests.test_train" name="test_helper_only" time="0.1"><skipped message="no gpu"/></testcase>
</testsuite></testsuites>
"""

TESTS = '''
import subprocess
import sys

import pytest
from magvit.train import train as run_training
from magvit.checkpoint import save


def _launch(tmp_path):
    return subprocess.run([sys.executable, "-m", "magvit", "train", "--run", str(tmp_path)])


def test_drives_entry(tmp_path):
    run_training(tmp_path)
    assert (tmp_path / "PROGRESS.txt").exists()


@pytest.mark.parametrize("x", ["a", "b"])
def test_subprocess(tmp_path, x):
    proc = _launch(tmp_path)
    assert proc.returncode == 0


def test_helper_only(tmp_path):
    save(tmp_path / "x.pt")
    assert (tmp_path / "x.pt").exists()


def test_no_assert(tmp_path):
    run_training(tmp_path)


class TestSlow:
    @pytest.mark.slow
    @pytest.mark.timeout(60)
    def test_cli(self, tmp_path):
        from click.testing import CliRunner
        from magvit.cli import main
        result = CliRunner().invoke(main, ["train", "--run", str(tmp_path)])
        self.assertEqual(result.exit_code, 0)
'''


def _project(tmp_path: Path, junit: str | None = JUNIT) -> ProjectConfig:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_train.py").write_text(textwrap.dedent(TESTS))
    if junit is not None:
        (tmp_path / "reports").mkdir()
        (tmp_path / "reports" / "junit.xml").write_text(junit)
    return ProjectConfig(root=tmp_path, entry_point="magvit/train.py:train", main_module="magvit/cli.py",
                         tests=("tests",), junit=("reports/junit.xml",))


def test_functions_markers_drive_and_asserts(tmp_path):
    ev = tests_ev.collect(_project(tmp_path))
    t = {f.name: f for f in ev.tests}
    assert set(t) == {"test_drives_entry", "test_subprocess", "test_helper_only", "test_no_assert", "test_cli"}
    assert t["test_drives_entry"].id == "tests/test_train.py::test_drives_entry"
    assert t["test_drives_entry"].line == 14
    assert t["test_drives_entry"].drives_entry and "run_training" in t["test_drives_entry"].drive
    assert t["test_subprocess"].drives_entry and "subprocess" in t["test_subprocess"].drive
    assert t["test_cli"].drives_entry and t["test_cli"].id == "tests/test_train.py::TestSlow::test_cli"
    assert not t["test_helper_only"].drives_entry
    assert t["test_no_assert"].asserts == 0 and t["test_cli"].asserts == 1
    assert "slow" in t["test_cli"].markers and t["test_cli"].timeout_s == 60
    assert "parametrize" in t["test_subprocess"].markers


def test_junit_outcomes_are_joined(tmp_path):
    ev = tests_ev.collect(_project(tmp_path))
    t = {f.name: f for f in ev.tests}
    assert t["test_drives_entry"].outcome == "passed" and t["test_drives_entry"].duration_s == 1.5
    assert t["test_subprocess"].outcome == "failed"  # one parameter failed
    assert t["test_cli"].outcome == "timed_out"
    assert t["test_helper_only"].outcome == "skipped"
    assert t["test_no_assert"].outcome is None
    assert ev.junit_files == ("reports/junit.xml",)


def test_without_junit_outcomes_are_unknown_and_bad_junit_is_reported(tmp_path):
    ev = tests_ev.collect(_project(tmp_path, junit="<testsuite><testcase name='x'"))
    assert all(f.outcome is None for f in ev.tests)
    assert ev.junit_errors and "reports/junit.xml" in ev.junit_errors[0]


def test_no_test_folder_means_nothing_found(tmp_path):
    ev = tests_ev.collect(ProjectConfig(root=tmp_path))
    assert not ev.found and ev.tests == ()


def test_seed_tests_are_helper_unit_tests_that_passed():
    ev = tests_ev.collect(load_config(SEED))
    t = {f.name: f for f in ev.tests}
    assert set(t) == {"test_checkpoint_saves", "test_checkpoint_loads"}
    for f in t.values():
        assert f.outcome == "passed" and f.asserts > 0 and not f.drives_entry and f.timeout_s == 60
