"""Tests probes: is the requirement tested through the training entry point, and did it pass?"""

from __future__ import annotations

from typing import Any, Iterable

from auditor.evidence.tests import TestFunction, TestsEvidence
from auditor.model import Citation, ProbeResult, Verdict, probe


def _cite(t: TestFunction, detail: str) -> Citation:
    return Citation(t.file, t.line, detail=f"{t.id}: {detail}")


def _outcome(t: TestFunction) -> str:
    if t.outcome is None:
        return "no JUnit result"
    if t.duration_s is not None:
        return f"{t.outcome} in {t.duration_s:g}s"
    return t.outcome


def _problems(t: TestFunction) -> list[str]:
    out = []
    if not t.drives_entry:
        out.append("tests a helper, not the training entry point")
    if t.asserts == 0:
        out.append("asserts nothing")
    if t.outcome is not None and t.outcome != "passed":
        out.append(t.outcome.replace("_", " ") + (f" ({t.message.splitlines()[0][:120]})" if t.message else ""))
    return out


def _no_tests(ev: TestsEvidence) -> ProbeResult | None:
    if ev is None or not ev.found:
        unread = "; ".join(getattr(ev, "errors", ())[:3])
        return ProbeResult(Verdict.NO_EVIDENCE, f"no test files under {getattr(ev, 'test_dir', 'tests')}"
                           + (f" could be read ({unread})" if unread else ""))
    return None


def _junit_note(ev: TestsEvidence) -> str:
    if ev.junit_errors:
        return "; JUnit: " + "; ".join(ev.junit_errors[:2])
    if not ev.junit_files:
        return "; no JUnit file found"
    return ""


def _rejected_junit(ev: TestsEvidence) -> str:
    """JUnit and test files that were refused (unsafe, malformed, too large, a link out of the
    project, a FIFO): said in every verdict, not only some."""
    unread = "; not read: " + "; ".join(ev.errors[:2]) if ev.errors else ""
    return (_junit_note(ev) if ev.junit_errors else "") + unread


@probe("tests.required_tests_passed")
def required_tests_passed(ev: Any, tests: Iterable[str] = ()) -> ProbeResult:
    """yes: every named test exists, drives the training entry point, asserts, and passed in JUnit."""
    names = list(tests)
    te = ev.tests
    if (missing := _no_tests(te)) is not None:
        return missing
    if not names:
        return ProbeResult(Verdict.NO_EVIDENCE, "the rule names no required test")
    cites: list[Citation] = []
    failures: list[str] = []
    unknown: list[str] = []
    for name in names:
        found = te.named(name)
        if not found:
            failures.append(f"{name} does not exist")
            continue
        for t in found:
            problems = _problems(t)
            state = "; ".join(problems) if problems else f"drives the entry point ({t.drive}); {_outcome(t)}"
            cites.append(_cite(t, state))
            if problems:
                failures.append(f"{name}: {'; '.join(problems)}")
            elif t.outcome is None:
                unknown.append(name)
    helpers = [t for t in te.tests if not t.drives_entry and t.asserts][:3]
    measured = {"required": len(names), "found": sum(bool(te.named(n)) for n in names),
                "passed": sum(all(t.outcome == "passed" and not _problems(t) for t in te.named(n)) and bool(te.named(n))
                              for n in names)}
    if failures:
        if not cites and helpers:
            cites += [_cite(t, f"exists but tests a helper only; {_outcome(t)}") for t in helpers]
        return ProbeResult(Verdict.NO, "; ".join(failures) + _rejected_junit(te), tuple(cites), measured)
    if unknown:
        return ProbeResult(Verdict.NO_EVIDENCE, f"required tests exist but have no JUnit result: {', '.join(unknown)}"
                           + _junit_note(te), tuple(cites), measured)
    return ProbeResult(Verdict.YES, f"{', '.join(names)} drive the training entry point and passed", tuple(cites),
                       measured)


@probe("tests.behaviour_tested")
def behaviour_tested(ev: Any, keywords: Iterable[str] = ()) -> ProbeResult:
    """yes: a test that drives the training entry point mentions a keyword, asserts, and passed."""
    words = list(keywords)
    te = ev.tests
    if (missing := _no_tests(te)) is not None:
        return missing
    mentioning = [t for t in te.tests if any(t.mentions(w) for w in words)]
    good = [t for t in mentioning if not _problems(t)]
    passed = [t for t in good if t.outcome == "passed"]
    measured = {"tests": len(te.tests), "mentioning": len(mentioning), "passed": len(passed)}
    said = " / ".join(words)
    if passed:
        return ProbeResult(Verdict.YES, f"{passed[0].id} drives training, checks {said}, and passed",
                           tuple(_cite(t, f"{t.drive}; {_outcome(t)}") for t in passed[:3]), measured)
    if good:
        return ProbeResult(Verdict.NO_EVIDENCE, f"{good[0].id} checks {said} through training but has no JUnit result"
                           + _junit_note(te), tuple(_cite(t, t.drive) for t in good[:3]), measured)
    if mentioning:
        cites = tuple(_cite(t, "; ".join(_problems(t))) for t in mentioning[:3])
        return ProbeResult(Verdict.NO, f"tests mention {said} but none drives training, asserts and passes"
                           + _rejected_junit(te), cites, measured)
    cites = tuple(_cite(t, f"{'drives training' if t.drives_entry else 'tests a helper'}; {_outcome(t)}")
                  for t in te.tests[:3])
    return ProbeResult(Verdict.NO, f"no test checks {said} through the training entry point "
                                   f"({len(te.tests)} tests read)" + _rejected_junit(te), cites, measured)
