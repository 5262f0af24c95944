"""Reading JUnit XML result files safely (they may come from anyone's CI).

defusedxml refuses entity expansion and external entities, so an XML bomb fails fast
instead of eating memory; files are read through auditor.safeio (regular files inside the
project, or named on the command line, with a size bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from auditor import safeio

MAX_JUNIT_BYTES = 50 * 1024 * 1024
OUTCOMES = ("passed", "failed", "errors", "skipped", "timed_out")


class JUnitError(ValueError):
    """A JUnit file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class TestCaseResult:
    """One test case's outcome as reported by a JUnit file."""

    id: str  # "classname::name"
    name: str
    classname: str
    outcome: str  # passed | failed | error | skipped | timed_out
    duration_s: float
    message: str = ""


def _outcome(case) -> tuple[str, str]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        child = case.find(tag)
        if child is not None:
            message = (child.get("message") or "") + "\n" + (child.text or "")
            if outcome in ("failed", "error") and "timeout" in message.lower():
                return "timed_out", message.strip()
            return outcome, message.strip()
    return "passed", ""


def read_junit(path: Path, within: safeio.Root | None = None) -> list[TestCaseResult]:
    """Every test case in a JUnit XML file, in file order, read through auditor.safeio
    (`within`: the folder it must resolve inside; None for a file named on the command line)."""
    path = Path(path)
    try:
        data = safeio.read_bytes(path, within=within, cap=MAX_JUNIT_BYTES, shown=str(path))
    except safeio.READ_ERRORS as exc:
        raise JUnitError(f"{safeio.describe(exc, str(path))} (JUnit file)") from None
    try:
        root = SafeET.fromstring(data)
    except (DefusedXmlException, SafeET.ParseError, RecursionError) as exc:
        raise JUnitError(f"{path}: not a safe, well-formed JUnit XML file ({exc})") from exc
    cases = []
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "")
        outcome, message = _outcome(case)
        try:
            duration = float(case.get("time") or 0.0)
        except ValueError:
            duration = 0.0
        cases.append(TestCaseResult(f"{classname}::{name}" if classname else name, name, classname,
                                    outcome, duration, message))
    return cases


def count_outcomes(cases: list[TestCaseResult]) -> dict[str, int]:
    """Counts keyed like pytest's summary: passed, failed, errors, skipped, timed_out."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for case in cases:
        counts["errors" if case.outcome == "error" else case.outcome] += 1
    return counts
