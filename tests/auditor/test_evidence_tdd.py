"""TDD evidence: audit tdd records and plain pytest text outputs, in time order."""

from __future__ import annotations

import json
import os
from pathlib import Path

from auditor.config import ProjectConfig, load_config
from auditor.evidence import tdd as tdd_ev
from auditor.resolve import resolve

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"


def _record(folder: Path, stamp: str, feature: str, phase: str, tests: dict[str, str], exit_code: int = 0) -> Path:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "timed_out": 0}
    for outcome in tests.values():
        counts["errors" if outcome == "error" else outcome] += 1
    iso = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
    path = folder / f"{stamp}-{feature}-{phase}.json"
    path.write_text(json.dumps({
        "format": "audit-tdd/1", "phase": phase, "feature": feature, "started_at": iso, "finished_at": iso,
        "git_commit": None, "command": ["pytest", "-q"], "exit_code": exit_code,
        "junit": path.with_suffix(".xml").name, "counts": counts,
        "tests": [{"id": i, "outcome": o, "duration_s": 0.1} for i, o in tests.items()]}))
    return path


def test_records_are_read_in_time_order(tmp_path):
    folder = tmp_path / "artifacts" / "tdd"
    folder.mkdir(parents=True)
    _record(folder, "20260101T100500Z", "ckpt", "green", {"tests/t.py::test_a": "passed"})
    _record(folder, "20260101T100000Z", "ckpt", "red", {"tests/t.py::test_a": "failed"}, exit_code=1)
    ev = tdd_ev.collect(resolve(ProjectConfig(root=tmp_path)))
    assert [a.phase for a in ev.artifacts] == ["red", "green"]
    red = ev.artifacts[0]
    assert red.kind == "record" and red.time_source == "record" and red.feature == "ckpt"
    assert red.failed == ("tests/t.py::test_a",) and red.counts["failed"] == 1
    assert ev.artifacts[1].passed == ("tests/t.py::test_a",)
    assert ev.artifacts[0].time < ev.artifacts[1].time


def test_seed_text_outputs_red_failures_and_green_timeout():
    ev = tdd_ev.collect(load_config(SEED))
    by_phase = {a.phase: a for a in ev.artifacts}
    assert set(by_phase) == {"red", "green"}
    red, green = by_phase["red"], by_phase["green"]
    assert red.kind == "text" and red.feature == "magvit_training"
    assert red.counts["failed"] == 10 and len(red.failed) == 10
    assert "tests/test_magvit_training.py::test_checkpoint_saves" in red.failed
    assert green.counts["timed_out"] == 1 and green.counts["passed"] == 4
    assert green.timed_out == ("tests/test_magvit_training.py::test_train_magvit_exists",)
    assert red.time_source == "mtime"  # no time in the names: flagged as the last resort


def test_time_from_file_name(tmp_path):
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "20260125_0301_tdd_x_red.txt").write_text("FAILED t.py::test_a\n1 failed in 0.1s\n")
    ev = tdd_ev.collect(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts",)))
    [a] = ev.artifacts
    assert a.time_source == "filename" and a.feature == "x"
    assert a.time == 1769310060.0  # 2026-01-25 03:01 UTC


def test_bad_record_is_reported_not_fatal(tmp_path):
    folder = tmp_path / "artifacts" / "tdd"
    folder.mkdir(parents=True)
    (folder / "20260101T100000Z-x-red.json").write_text("{not json")
    (folder / "20260101T100100Z-x-green.json").write_text(json.dumps({"format": "other"}))
    ev = tdd_ev.collect(ProjectConfig(root=tmp_path, tdd_artifacts=("artifacts/tdd",)))  # configured: all read
    assert ev.artifacts == ()
    assert len(ev.errors) == 2 and "20260101T100000Z-x-red.json" in ev.errors[0]


def test_verbose_text_output_gives_passed_ids(tmp_path):
    (tmp_path / "artifacts" / "tdd").mkdir(parents=True)
    p = tmp_path / "artifacts" / "tdd" / "feat_green.txt"
    p.write_text("tests/t.py::test_a PASSED [ 50%]\ntests/t.py::test_b PASSED [100%]\n"
                 "============================== 2 passed in 0.50s ===============================\n")
    os.utime(p, (1_700_000_000, 1_700_000_000))
    [a] = tdd_ev.collect(resolve(ProjectConfig(root=tmp_path))).artifacts
    assert a.passed == ("tests/t.py::test_a", "tests/t.py::test_b") and a.counts["passed"] == 2
    assert a.time == 1_700_000_000 and a.phase == "green"


def test_nothing_found(tmp_path):
    ev = tdd_ev.collect(resolve(ProjectConfig(root=tmp_path)))
    assert not ev.found and ev.artifacts == ()


def test_the_records_listed_are_those_path_rglob_lists(tmp_path):
    """The record folder is listed by os.walk: the same files as Path.rglob("*") with a record's
    suffix, in the same order, as strings; a folder reached through a link is not entered, as rglob does not."""
    base = tmp_path / "artifacts" / "tdd"
    (base / "deep" / "er").mkdir(parents=True)
    (base / "d.json").mkdir()  # a folder named like a record
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "20260101T000000Z-x-red.json").write_text("{}")
    for name in ("20260101T000000Z-a-red.json", "deep/20260101T000001Z-a-green.xml", "deep/er/b-red.txt",
                 "deep/notes.md", ".json", "a.JSON", "x.log", "y.json.bak", "z.tar.xml"):
        (base / name).write_text("x")
    (base / "linked").symlink_to(outside, target_is_directory=True)
    (base / "file-link-red.json").symlink_to(outside / "20260101T000000Z-x-red.json")
    (base / "broken-red.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(base / "fifo-red.json")
    expected = sorted((p for p in base.rglob("*") if p.suffix in (".json", ".txt", ".log", ".xml") and not p.is_dir()),
                      key=lambda p: p.parts)
    # as the paths' strings: the reader keeps a listed file's path as a string until it reads the file
    assert tdd_ev._listed(base) == [str(p) for p in expected]
    assert {p.name for p in expected} >= {"file-link-red.json", "broken-red.json", "fifo-red.json", "z.tar.xml"}
    assert not any("linked" in p.parts or p.name in (".json", "a.JSON", "d.json") for p in expected)
