"""How a pass/fail outcome is shown: one set of marks for the gate, the drill and `audit compare`."""

from __future__ import annotations

from auditor.model import FAIL, NO_EVIDENCE, PASS, SKIP

MARKS = {PASS: "\u2705", FAIL: "\u274c", SKIP: "\u2796", NO_EVIDENCE: "\u2754"}
ASCII_MARKS = {PASS: "[PASS]", FAIL: "[FAIL]", SKIP: "[SKIP]", NO_EVIDENCE: "[??]"}


def mark(outcome: str, ascii: bool = False) -> str:
    """The mark of an outcome (pass, fail, skip, no evidence); an unknown one shows as no evidence."""
    marks = ASCII_MARKS if ascii else MARKS
    return marks.get(outcome, marks[NO_EVIDENCE])


def passed_word(passed: bool) -> str:
    """The closing word of a gate or a drill."""
    return "PASSED" if passed else "FAILED"
