"""TDD records saved by hand from `pytest -q`: a `date -u` line, then quiet output whose passing
runs print only a progress line and `3 passed in 7.28s` (no `=== ... ===` summary, no test ids).
Found by content when named for a phase, dated by their first lines; a quiet summary in a file
named for no phase, or a phase-named file with no pytest output, is not a record."""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

RED = """\
Wed Dec  2 10:06:56 UTC 2026
.F                                                                       [100%]
=================================== FAILURES ===================================
_____________________________ test_prune_keeps_two _____________________________
E       AttributeError: module 'pkg.ckpt' has no attribute 'prune'
=========================== short test summary info ============================
FAILED tests/test_ckpt.py::test_prune_keeps_two - AttributeError: mo...
1 failed, 1 passed in 2.47s
"""


def _quiet(date: str, passed: int = 2) -> str:
    return f"{date}\n..                                                                       [100%]\n" \
           f"{passed} passed in 3.28s\n"


def _project(root: Path, files: dict[str, str]) -> Evidence:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "train.py").write_text("loss.backward()\nopt.step()\n", encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def test_quiet_pytest_runs_named_for_their_phase_are_a_dated_cycle(tmp_path):
    ev = _project(tmp_path, {"notes/prune/red.txt": RED,
                             "notes/prune/green.txt": _quiet("Wed Dec  2 10:07:27 UTC 2026"),
                             "notes/prune/refactor.txt": _quiet("Wed Dec  2 10:07:57 UTC 2026")})
    assert discover(tmp_path).tdd == ("notes/prune/green.txt", "notes/prune/red.txt", "notes/prune/refactor.txt")
    arts = ev.tdd.artifacts
    assert [(a.phase, a.feature, a.time_source, a.line) for a in arts] == [
        ("red", "prune", "text", 1), ("green", "prune", "text", 1), ("refactor", "prune", "text", 1)]
    assert arts[1].counts["passed"] == 2 and not arts[1].counts["failed"]
    result = PROBES["tdd.cycle_complete"](ev)
    assert result.verdict == Verdict.YES, result.summary
    assert "notes/prune/red.txt:1" in {c.location() for c in result.citations}


def test_a_quiet_summary_in_a_file_named_for_no_phase_is_not_a_record(tmp_path):
    _project(tmp_path, {"logs/pytest.txt": _quiet("Wed Dec  2 10:07:27 UTC 2026")})
    assert discover(tmp_path).tdd == ()


def test_a_phase_named_file_without_pytest_output_is_not_a_record(tmp_path):
    _project(tmp_path, {"design/green.txt": "Colours: green for passed, red for failed.\n3 passed the review in "
                                            "two rounds.\n"})
    assert discover(tmp_path).tdd == ()
