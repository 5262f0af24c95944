"""A TDD journal: one file whose name holds no phase, with a dated section per phase.

Found by its content (pytest output under section headers that name red, green or refactor),
each section read as its own record, ordered by the dates in its own header, cited at its
header's line. A journal whose sections carry no date orders nothing (no evidence); one whose
dates put green before red is an out-of-order cycle (no).
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

RED = """\
F...                                                                     [100%]
=================================== FAILURES ===================================
____________________________ test_keeps_the_last_3 _____________________________
>       assert on_disk == written[-3:]
E       AssertionError: assert ['ckpt-8.pt', 'ckpt-16.pt'] == ['ckpt-16.pt']
tests/test_train.py:37: AssertionError
=========================== short test summary info ============================
FAILED tests/test_train.py::test_keeps_the_last_3
1 failed, 3 passed in 5.83s
"""
GREEN = """\
....                                                                     [100%]
4 passed in 6.57s
"""


def _journal(dates: tuple[str, str, str] | None, order=("red", "green", "refactor")) -> str:
    out = []
    for i, phase in enumerate(order):
        when = f" | {dates[i]}" if dates else ""
        out.append(f"=== {phase} | keep-last-3{when} | pytest tests/test_train.py\n")
        out.append(RED if phase == "red" else GREEN)
        out.append(f"=== exit code {1 if phase == 'red' else 0}\n\n")
    return "".join(out)


def _project(root: Path, journal: str) -> Evidence:
    (root / "tdd").mkdir(parents=True)
    (root / "tdd" / "JOURNAL.txt").write_text(journal, encoding="utf-8")
    (root / "train.py").write_text("loss.backward()\nopt.step()\n", encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def _cycle(ev: Evidence):
    return PROBES["tdd.cycle_complete"](ev)


def test_a_dated_journal_is_found_by_content_and_each_section_is_a_phase(tmp_path):
    ev = _project(tmp_path, _journal(("2026-12-02 18:19:50 UTC", "2026-12-02 18:20:03 UTC",
                                      "2026-12-02 18:20:16 UTC")))
    assert discover(tmp_path).tdd == ("tdd/JOURNAL.txt",)
    arts = ev.tdd.artifacts
    assert [(a.phase, a.line, a.time_source) for a in arts] == [("red", 1, "text"), ("green", 13, "text"),
                                                                ("refactor", 18, "text")]
    assert {a.feature for a in arts} == {"keep-last-3"}
    assert arts[0].counts["failed"] == 1 and arts[0].failed == ("tests/test_train.py::test_keeps_the_last_3",)
    assert arts[1].counts["passed"] == 4 and not arts[1].counts["failed"]
    result = _cycle(ev)
    assert result.verdict == Verdict.YES, result.summary
    assert {c.location() for c in result.citations} == {"tdd/JOURNAL.txt:1", "tdd/JOURNAL.txt:13",
                                                        "tdd/JOURNAL.txt:18"}


def test_an_undated_journal_orders_nothing(tmp_path):
    result = _cycle(_project(tmp_path, _journal(None)))
    assert result.verdict == Verdict.NO_EVIDENCE, result.summary
    assert "order" in result.summary


def test_a_journal_whose_dates_put_green_before_red_is_an_out_of_order_cycle(tmp_path):
    journal = _journal(("2026-12-02 18:20:03 UTC", "2026-12-02 18:19:50 UTC", "2026-12-02 18:20:16 UTC"))
    result = _cycle(_project(tmp_path, journal))
    assert result.verdict == Verdict.NO, result.summary


def test_text_that_only_mentions_a_colour_is_not_a_journal(tmp_path):
    (tmp_path / "notes.txt").write_text("The red team ran pytest.\n" + GREEN, encoding="utf-8")
    (tmp_path / "train.py").write_text("loss.backward()\nopt.step()\n", encoding="utf-8")
    assert discover(tmp_path).tdd == ()
