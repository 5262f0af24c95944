"""Probes over real Evidence objects: the seed fixture's matrix and small compliant trees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig, load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = FIXTURES / "seed_project"


def _run(ev, name, **params):
    result = PROBES[name](ev, **params)
    assert result.summary
    if result.verdict in (Verdict.YES, Verdict.PARTIAL, Verdict.NO) and name.split(".")[0] in ("code", "tests"):
        assert result.citations, f"{name} gave {result.verdict} without citations"
    return result


@pytest.fixture(scope="module")
def seed_ev():
    return Evidence(load_config(SEED))


# the seed document's matrix, columns code and tested
SEED_CODE = {
    "code.checkpoint_saved_in_loop": Verdict.YES,
    "code.progress_written_in_loop": Verdict.YES,
    "code.batch_logging": Verdict.YES,
    "code.heartbeat_thread": Verdict.YES,
    "code.resume_wired": Verdict.PARTIAL,
    "code.auto_resume": Verdict.NO,
    "code.checkpoint_interval": Verdict.PARTIAL,
}


@pytest.mark.parametrize("name,expected", sorted(SEED_CODE.items()))
def test_seed_code_column(seed_ev, name, expected):
    assert _run(seed_ev, name).verdict == expected


def test_seed_resume_partial_cites_the_unpassed_main_call(seed_ev):
    r = _run(seed_ev, "code.resume_wired")
    assert {c.location() for c in r.citations} >= {"train_magvit.py:75", "train_magvit.py:130"}


def test_seed_interval_is_epoch_based(seed_ev):
    r = _run(seed_ev, "code.checkpoint_interval", min_s=60, max_s=300)
    assert r.measured["unit"] == "epochs" and r.measured["interval"] == 10


@pytest.mark.parametrize("name,params", [
    ("tests.required_tests_passed", {"tests": ["test_checkpoints_created_at_intervals"]}),
    ("tests.required_tests_passed", {"tests": ["test_can_resume_from_last_checkpoint"]}),
    ("tests.required_tests_passed", {"tests": ["test_checkpoints_created_at_intervals",
                                               "test_medium_scale_training_with_checkpoints"]}),
    ("tests.behaviour_tested", {"keywords": ["PROGRESS.txt", "progress.json"]}),
    ("tests.behaviour_tested", {"keywords": ["train.log", "batch"]}),
    ("tests.behaviour_tested", {"keywords": ["heartbeat"]}),
    ("tests.behaviour_tested", {"keywords": ["auto_resume", "auto-resume", "resumed_from"]}),
])
def test_seed_tested_column_is_no(seed_ev, name, params):
    assert _run(seed_ev, name, **params).verdict == Verdict.NO


def test_seed_helper_tests_named_directly_are_no_because_they_test_helpers(seed_ev):
    r = _run(seed_ev, "tests.required_tests_passed", tests=["test_checkpoint_saves"])
    assert r.verdict == Verdict.NO and "helper" in r.summary


COMPLIANT_SRC = """
    import threading
    from dataclasses import dataclass
    from pathlib import Path

    import torch

    @dataclass
    class Config:
        checkpoint_every_s: float = 120.0

    class Progress:
        def __init__(self, run_dir):
            self.path = Path(run_dir) / "progress.json"

        def write(self, step):
            self.path.write_text(str(step))

        def beat(self, stop):
            while not stop.wait(15):
                self.write(-1)

        def start(self, stop):
            threading.Thread(target=self.beat, args=(stop,), daemon=True).start()

    def latest_valid(run_dir):
        found = sorted(Path(run_dir).glob("*.pt"))
        return found[-1] if found else None

    def restore(path):
        return torch.load(path, weights_only=True)

    def train(run_dir, loader, epochs=2, resume="auto"):
        path = latest_valid(run_dir) if resume == "auto" else resume
        state = restore(path) if path else None
        progress = Progress(run_dir)
        progress.start(threading.Event())
        for epoch in range(epochs):
            for i, batch in enumerate(loader):
                print(f"epoch {epoch} batch {i}")
                progress.write(i)
                torch.save({"epoch": epoch}, Path(run_dir) / "c.pt")
"""

CLI_SRC = """
    import click
    from pkg.train import train

    @click.command()
    @click.option("--resume", default="auto")
    def main(resume):
        train(".", [], resume=resume)
"""

TEST_SRC = """
    from pkg.train import train

    def test_checkpoints_created_at_intervals(tmp_path):
        train(tmp_path, [1, 2])
        assert list(tmp_path.glob("*.pt"))

    def test_progress(tmp_path):
        train(tmp_path, [1])
        assert (tmp_path / "progress.json").exists()
"""

JUNIT = """<testsuite><testcase classname="tests.test_train" name="test_checkpoints_created_at_intervals" time="1"/>
<testcase classname="tests.test_train" name="test_progress" time="1"/></testsuite>"""


@pytest.fixture()
def compliant_ev(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/train.py": COMPLIANT_SRC, "pkg/cli.py": CLI_SRC,
             "tests/test_train.py": TEST_SRC, "reports/junit.xml": JUNIT}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    cfg = ProjectConfig(root=tmp_path, source=("pkg",), entry_point="pkg/train.py:train", main_module="pkg/cli.py",
                        tests=("tests",), junit=("reports/junit.xml",))
    return Evidence(cfg)


@pytest.mark.parametrize("name", sorted(SEED_CODE))
def test_compliant_code_column_is_yes(compliant_ev, name):
    params = {"min_s": 60, "max_s": 300} if name == "code.checkpoint_interval" else {}
    r = _run(compliant_ev, name, **params)
    assert r.verdict == Verdict.YES, r.summary


def test_compliant_tests_pass(compliant_ev):
    assert _run(compliant_ev, "tests.required_tests_passed",
                tests=["test_checkpoints_created_at_intervals"]).verdict == Verdict.YES
    assert _run(compliant_ev, "tests.behaviour_tested", keywords=["progress.json"]).verdict == Verdict.YES


def test_missing_sources_and_tests_are_no_evidence(tmp_path):
    ev = Evidence(ProjectConfig(root=tmp_path))
    for name in SEED_CODE:
        assert _run(ev, name).verdict == Verdict.NO_EVIDENCE
    assert _run(ev, "tests.required_tests_passed", tests=["x"]).verdict == Verdict.NO_EVIDENCE
    assert _run(ev, "tests.behaviour_tested", keywords=["x"]).verdict == Verdict.NO_EVIDENCE


def test_required_test_without_junit_result_is_no_evidence(compliant_ev):
    (compliant_ev.config.root / "reports" / "junit.xml").unlink()
    r = _run(compliant_ev, "tests.required_tests_passed", tests=["test_checkpoints_created_at_intervals"])
    assert r.verdict == Verdict.NO_EVIDENCE


def test_interval_out_of_bounds_is_no(tmp_path):
    (tmp_path / "t.py").write_text("def train(checkpoint_every_s=900):\n    for i in range(2):\n        pass\n")
    ev = Evidence(ProjectConfig(root=tmp_path, source=("t.py",), entry_point="t.py:train"))
    r = _run(ev, "code.checkpoint_interval", min_s=60, max_s=300)
    assert r.verdict == Verdict.NO and r.measured["interval_s"] == 900


# --------------------------------------------------------------------------- run and tdd probes

RUN_PARAMS = {
    "run.periodic_checkpoints": {"min_count": 2},
    "run.checkpoint_gaps": {"min_s": 60, "max_s": 300},
    "run.progress_fresh": {"max_s": 60},
    "run.batch_logging": {},
    "run.heartbeat": {"max_s": 60},
    "run.resumed": {},
    "run.auto_resumed": {},
}
SEED_WORKING = {
    "run.periodic_checkpoints": Verdict.YES,
    "run.checkpoint_gaps": Verdict.PARTIAL,
    "run.progress_fresh": Verdict.YES,
    "run.batch_logging": Verdict.YES,
    "run.heartbeat": Verdict.YES,
    # one session, never restarted: resuming was not exercised (tests/corpus/README.md, Working?)
    "run.resumed": Verdict.NO_EVIDENCE,
    "run.auto_resumed": Verdict.NO_EVIDENCE,
}


@pytest.fixture(scope="module")
def seed_run_ev():
    return Evidence(load_config(SEED), SEED / "results" / "magvit_training")


@pytest.mark.parametrize("name,expected", sorted(SEED_WORKING.items()))
def test_seed_working_column(seed_run_ev, name, expected):
    r = _run(seed_run_ev, name, **RUN_PARAMS[name])
    assert r.verdict == expected, r.summary
    assert r.citations


def test_seed_gaps_partial_says_below_lower_bound(seed_run_ev):
    r = _run(seed_run_ev, "run.checkpoint_gaps", min_s=60, max_s=300)
    assert r.summary.startswith("OK: gaps below the 1 min lower bound")
    assert r.measured["largest_gap_s"] == pytest.approx(50, abs=0.5)


def test_seed_code_interval_estimates_seconds_from_the_run(seed_run_ev):
    r = _run(seed_run_ev, "code.checkpoint_interval", min_s=60, max_s=300)
    assert r.verdict == Verdict.PARTIAL and r.measured["estimated_s"] == pytest.approx(50, abs=1)
    assert "50s" in r.summary


@pytest.mark.parametrize("name", sorted(RUN_PARAMS))
def test_compliant_run_is_yes(name):
    ev = Evidence(ProjectConfig(root=FIXTURES), FIXTURES / "compliant_run")
    r = _run(ev, name, **RUN_PARAMS[name])
    assert r.verdict == Verdict.YES, r.summary
    assert r.citations


@pytest.mark.parametrize("name", sorted(RUN_PARAMS))
def test_no_run_is_no_evidence(tmp_path, name):
    assert _run(Evidence(ProjectConfig(root=tmp_path)), name, **RUN_PARAMS[name]).verdict == Verdict.NO_EVIDENCE
    assert _run(Evidence(ProjectConfig(root=tmp_path), tmp_path), name,
                **RUN_PARAMS[name]).verdict == Verdict.NO_EVIDENCE


def test_gap_above_bound_is_no(tmp_path):
    import json

    events = [{"ts": 0, "event": "run_start", "resume": "auto"}] + [
        {"ts": t, "event": "checkpoint_saved", "kind": "periodic", "file": f"step-{t:08d}.pt"} for t in (100, 500)]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    r = _run(Evidence(ProjectConfig(root=tmp_path), tmp_path), "run.checkpoint_gaps", min_s=60, max_s=300)
    assert r.verdict == Verdict.NO and r.measured["largest_gap_s"] == 400


def test_seed_tdd_cycle_is_no(seed_ev):
    r = _run(seed_ev, "tdd.cycle_complete",
             tests=["test_checkpoints_created_at_intervals", "test_can_resume_from_last_checkpoint"])
    assert r.verdict == Verdict.NO and r.citations
    r = _run(seed_ev, "tdd.cycle_complete")
    assert r.verdict == Verdict.NO and "green timed out" in r.summary


@pytest.mark.parametrize("green_first", [True, False])
def test_seed_tdd_verdict_does_not_depend_on_checkout_mtimes(tmp_path, green_first):
    """A clone writes files in any order: an order read from mtimes alone is no evidence of anything."""
    import os
    import shutil

    project = tmp_path / "seed"
    shutil.copytree(SEED, project)
    red, green = (project / "artifacts" / f"tdd_magvit_training_{p}.txt" for p in ("red", "green"))
    first, second = (green, red) if green_first else (red, green)
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(second, (1_700_000_600, 1_700_000_600))
    r = _run(Evidence(load_config(project)), "tdd.cycle_complete")
    assert r.verdict == Verdict.NO and "green timed out" in r.summary, r.summary
    assert "recorded before red" not in r.summary


def test_tdd_complete_cycle_is_yes_and_order_matters(tmp_path):
    folder = tmp_path / "artifacts" / "tdd"
    folder.mkdir(parents=True)
    for stamp, phase in (("20260101T100000Z", "red"), ("20260101T100500Z", "green"), ("20260101T101000Z", "refactor")):
        outcome = "failed" if phase == "red" else "passed"
        (folder / f"{stamp}-ckpt-{phase}.txt").write_text(
            f"tests/t.py::test_checkpoints_created_at_intervals {outcome.upper()}\n"
            f"============ 1 {outcome} in 0.1s ============\n")
    ev = Evidence(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts/tdd",)))
    assert _run(ev, "tdd.cycle_complete", tests=["test_checkpoints_created_at_intervals"]).verdict == Verdict.YES
    (folder / "20260101T100000Z-ckpt-red.txt").rename(folder / "20260101T110000Z-ckpt-red.txt")
    ev = Evidence(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts/tdd",)))
    assert _run(ev, "tdd.cycle_complete", tests=["test_checkpoints_created_at_intervals"]).verdict == Verdict.NO
    assert _run(Evidence(ProjectConfig(root=tmp_path / "none")), "tdd.cycle_complete").verdict == Verdict.NO_EVIDENCE


@pytest.mark.parametrize("green_passes, expected", [("test_checkpoints_created_at_intervals", Verdict.YES),
                                                     ("test_something_else", Verdict.NO)])
def test_a_red_that_failed_to_import_counts_for_the_tests_its_green_passes(tmp_path, green_passes, expected):
    """A red whose test module could not be imported (the code it tests not written yet) fails
    every test of that module: it covers a required test when the feature's green passes it."""
    folder = tmp_path / "artifacts" / "tdd"
    folder.mkdir(parents=True)
    (folder / "20260101T100000Z-ckpt-red.txt").write_text(
        "ERROR tests/test_ckpt.py - ModuleNotFoundError: No module named 'trainer.ckpt'\n"
        "============ 1 error in 0.1s ============\n")
    for stamp, phase in (("20260101T100500Z", "green"), ("20260101T101000Z", "refactor")):
        (folder / f"{stamp}-ckpt-{phase}.txt").write_text(
            f"tests/test_ckpt.py::{green_passes} PASSED\n============ 1 passed in 0.1s ============\n")
    ev = Evidence(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts/tdd",)))
    assert _run(ev, "tdd.cycle_complete", tests=["test_checkpoints_created_at_intervals"]).verdict == expected


@pytest.mark.parametrize("verdict,expected", [("pass", Verdict.YES), ("fail", Verdict.NO)])
def test_drill_result_decides_resume_when_the_run_shows_none(tmp_path, verdict, expected):
    import json

    run = tmp_path / "run"
    run.mkdir()
    (run / "train.log").write_text("2026-01-01 00:00:00 epoch 1 batch 1/4\n")
    (tmp_path / "artifacts" / "drill").mkdir(parents=True)
    (tmp_path / "artifacts" / "drill" / "latest.json").write_text(json.dumps({
        "format": "audit-drill/1", "verdict": verdict, "started_at": "2026-11-28T21:40:00.000Z",
        "kills": [{"index": 1}, {"index": 2}],
        "checks": [{"id": "resumed_from_newest", "verdict": verdict, "evidence": ["kill 1: resumed from x"]}]}))
    ev = Evidence(ProjectConfig(root=tmp_path), run)
    for name in ("run.resumed", "run.auto_resumed"):
        r = _run(ev, name)
        assert r.verdict == expected and r.citations[0].source == "artifacts/drill/latest.json"
