"""`audit tdd record`: runs a real pytest command and stores a structured TDD artifact."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

FAILING = "def test_feature():\n    assert 1 + 1 == 3\n"
PASSING = "def test_feature():\n    assert 1 + 1 == 2\n\ndef test_other():\n    assert True\n"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "test_feature.py").write_text(FAILING)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record(phase, *extra):
    cmd = [sys.executable, "-m", "pytest", "test_feature.py", "-q", "-p", "no:cacheprovider"]
    return CliRunner().invoke(main, ["tdd", "record", phase, "--feature", "demo", *extra, "--", *cmd])


def only_record(project: Path, phase: str) -> dict:
    records = sorted((project / "artifacts" / "tdd").glob(f"*-demo-{phase}.json"))
    assert len(records) == 1, records
    return json.loads(records[0].read_text())


def test_red_phase_records_failing_tests(project):
    result = record("red")
    assert result.exit_code == 0, result.output
    rec = only_record(project, "red")
    assert rec["format"] == "audit-tdd/1"
    assert rec["phase"] == "red" and rec["feature"] == "demo"
    assert rec["counts"]["failed"] == 1 and rec["counts"]["passed"] == 0
    assert rec["tests"] == [{"id": "test_feature::test_feature", "outcome": "failed",
                             "duration_s": rec["tests"][0]["duration_s"]}]
    assert rec["exit_code"] == 1
    assert len(rec["git_commit"]) == 40
    assert (project / "artifacts" / "tdd" / rec["junit"]).read_text().startswith("<?xml")
    assert rec["started_at"] <= rec["finished_at"]


def test_green_phase_passes_only_when_every_test_passes(project):
    failing = record("green")
    assert failing.exit_code == 1
    assert "green phase expects every test to pass" in failing.output
    (project / "test_feature.py").write_text(PASSING)
    passing = record("refactor")
    assert passing.exit_code == 0, passing.output
    rec = only_record(project, "refactor")
    assert rec["counts"] == {"passed": 2, "failed": 0, "errors": 0, "skipped": 0, "timed_out": 0}


def test_red_phase_without_a_failure_is_refused(project):
    (project / "test_feature.py").write_text(PASSING)
    result = record("red")
    assert result.exit_code == 1
    assert "red phase expects at least one failing test" in result.output


def test_missing_command_is_a_usage_error(project):
    result = CliRunner().invoke(main, ["tdd", "record", "red", "--feature", "demo", "--", "no-such-command-xyz"])
    assert result.exit_code == 2
    assert "no-such-command-xyz" in result.output


def test_bad_phase_is_a_usage_error(project):
    result = CliRunner().invoke(main, ["tdd", "record", "purple", "--feature", "demo", "--", "true"])
    assert result.exit_code == 2
