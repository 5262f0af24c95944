"""TDD order comes from the records themselves (dates in their text, JUnit timestamps, audit
records) or from the project's own git history, never from file mtimes; every citation has a line.

The corpus projects are staged with their recorded mtimes (tests/auditor/corpus.py): in
tddhistory those mtimes say the reverse of the dates the records carry, and in lookalike and
accel they are all the records have.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence import tdd as tdd_ev
from auditor.model import PROBES, Verdict
from tests.auditor.corpus import label, stage


def _cycle(root: Path, folder: str):
    return PROBES["tdd.cycle_complete"](Evidence(ProjectConfig(root=root, tdd_artifacts=(folder,))))


def test_dates_in_the_text_order_the_cycle_whatever_the_mtimes_say(tmp_path):
    project = stage("tddhistory", tmp_path)
    times = {a.phase: a for a in tdd_ev.collect(ProjectConfig(root=project, tdd_artifacts=("tdd",))).artifacts}
    assert {p: a.time_source for p, a in times.items()} == {"red": "text", "green": "text", "refactor": "text"}
    assert times["red"].line == 1 and times["red"].time < times["green"].time < times["refactor"].time
    # the mtimes the generator left say refactor, green, red: they are not what decided
    assert os.stat(project / "tdd/resume-iter/refactor.txt").st_mtime < os.stat(project / "tdd/resume-iter/red.txt").st_mtime
    result = _cycle(project, "tdd")
    assert result.verdict.value == label("tddhistory", "tdd-process", "tested")["verdict"] == "yes", result.summary
    assert {c.location() for c in result.citations} >= {"tdd/resume-iter/red.txt:1", "tdd/resume-iter/green.txt:1"}


@pytest.mark.parametrize("name", ["compliant", "lit_hydra"])
def test_junit_records_are_ordered_by_their_testsuite_timestamps(tmp_path, name):
    project = stage(name, tmp_path)
    artifacts = tdd_ev.collect(ProjectConfig(root=project, tdd_artifacts=("tdd",))).artifacts
    assert [a.phase for a in artifacts] == ["red", "green", "refactor"]
    assert {a.time_source for a in artifacts} == {"junit"} and all(a.line for a in artifacts)
    red = artifacts[0]
    assert red.counts["failed"] >= 1 and red.failed
    result = _cycle(project, "tdd")
    assert result.verdict.value == label(name, "tdd-process", "tested")["verdict"] == "yes", result.summary
    assert all(c.line for c in result.citations)


@pytest.mark.parametrize("name,folder", [("lookalike", "artifacts/tdd"), ("accel", "tdd")])
def test_records_ordered_only_by_mtimes_are_no_evidence_never_yes(tmp_path, name, folder):
    """False ✅ class: 'red, green and refactor recorded' from an order only file mtimes gave."""
    project = stage(name, tmp_path)
    result = _cycle(project, folder)
    assert result.verdict == Verdict.NO_EVIDENCE, result.summary
    assert label(name, "tdd-process", "tested")["verdict"] == "no evidence"
    assert "order" in result.summary and "mtime" in result.summary
    # the records are named with the line that was read (their summary line)
    assert result.citations and all(c.line for c in result.citations), result.citations


def test_content_problems_stay_no_when_the_order_is_unknown(tmp_path):
    """An undated red that shows no failure is an incomplete cycle (no), not a question of order."""
    folder = tmp_path / "tdd"
    folder.mkdir()
    for phase in ("red", "green", "refactor"):
        (folder / f"{phase}.txt").write_text("tests/t.py::test_a PASSED\n=========== 1 passed in 0.1s ===========\n")
    result = _cycle(tmp_path, "tdd")
    assert result.verdict == Verdict.NO and "red failed nothing" in result.summary


def _git(root: Path, *args: str, when: int | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when} +0000"
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def _undated_cycle(folder: Path, phases=("red", "green", "refactor")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = {"red": "FAILED tests/t.py::test_a - assert 0\n=========== 1 failed in 0.1s ===========\n",
            "green": "tests/t.py::test_a PASSED\n=========== 1 passed in 0.1s ===========\n"}
    for phase in phases:
        (folder / f"{phase}.txt").write_text(text.get(phase, text["green"]))


def test_a_projects_own_git_history_orders_undated_records(tmp_path):
    root = tmp_path / "proj"
    _git(tmp_path, "init", "-q", str(root))
    for i, phase in enumerate(("red", "green", "refactor")):
        _undated_cycle(root / "tdd", phases=(phase,))
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", phase, when=1_700_000_000 + 600 * i)
    # mtimes in the reverse order: the history decides
    for i, phase in enumerate(("refactor", "green", "red")):
        os.utime(root / "tdd" / f"{phase}.txt", (1_800_000_000 + i, 1_800_000_000 + i))
    artifacts = {a.phase: a for a in tdd_ev.collect(ProjectConfig(root=root, tdd_artifacts=("tdd",))).artifacts}
    assert {a.time_source for a in artifacts.values()} == {"git"}
    assert artifacts["red"].time == 1_700_000_000 and artifacts["refactor"].time == 1_700_001_200
    result = _cycle(root, "tdd")
    assert result.verdict == Verdict.YES, result.summary
    assert "commit" in " ".join(c.detail for c in result.citations)


def test_the_history_of_an_enclosing_repository_is_not_the_projects(tmp_path):
    outer = tmp_path / "outer"
    _git(tmp_path, "init", "-q", str(outer))
    _undated_cycle(outer / "sub" / "tdd")
    _git(outer, "add", "-A")
    _git(outer, "commit", "-q", "-m", "all at once", when=1_700_000_000)
    artifacts = tdd_ev.collect(ProjectConfig(root=outer / "sub", tdd_artifacts=("tdd",))).artifacts
    assert {a.time_source for a in artifacts} == {"mtime"}
    assert _cycle(outer / "sub", "tdd").verdict == Verdict.NO_EVIDENCE
