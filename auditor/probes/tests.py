"""Tests probes: is the requirement tested through the training entry point, and did it pass?"""

from __future__ import annotations

from typing import Any, Iterable

from auditor.evidence.assertions import ONE_CHECKPOINT
from auditor.evidence.behaviour import CHECKPOINTS, EFFECTS, HEARTBEAT, PROGRESS, RESUMED, STEP_LOG
from auditor.evidence.tests import TestFunction, TestsEvidence
from auditor.model import Citation, ProbeResult, Verdict, probe
from auditor.resolve import key_hint

EFFECT_WORDS = {
    CHECKPOINTS: "the checkpoint files training writes",
    PROGRESS: "the progress file",
    STEP_LOG: "per-step log lines",
    HEARTBEAT: "the heartbeat",
    RESUMED: "training continuing from a saved step",
}


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
    if t.outcome is None and (t.always_skipped or "xfail" in t.markers):  # skipped or expected to fail anywhere
        out.append("marked " + "/".join(m for m in t.markers if m in ("skip", "skipif", "xfail")))
    if t.outcome is not None and t.outcome != "passed":
        out.append(t.outcome.replace("_", " ") + (f" ({t.message.splitlines()[0][:120]})" if t.message else ""))
    return out


def _no_tests(ev: TestsEvidence) -> ProbeResult | None:
    if ev is None or not ev.found:
        unread = "; ".join(getattr(ev, "errors", ())[:3])
        return ProbeResult(Verdict.NO_EVIDENCE, f"no test files under {getattr(ev, 'test_dir', 'tests')}"
                           + (f" could be read ({unread})" if unread else f" ({key_hint('tests')})"))
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


def _junit_hint(ev: TestsEvidence) -> str:
    return "" if ev.junit_files else f" ({key_hint('junit')}, or pass --junit)"


@probe("tests.effect_tested")
def effect_tested(ev: Any, effect: str, automatic: bool = False, requirement: str = "") -> ProbeResult:
    """yes: a test drives training (entry function, `python -m pkg`, `python script.py`, the CLI,
    a trainer's fit/train), asserts on `effect` (with `automatic`: after a rerun given no resume
    option), and passed in JUnit. When the project configures `required_tests` for `requirement`,
    those named tests decide instead. A skipped test, one that asserts nothing or one that only
    exercises a helper is no, with the reason."""
    if effect not in EFFECTS:
        raise ValueError(f"unknown effect {effect!r} (known: {', '.join(EFFECTS)})")
    named = ev.config.required_tests_for(requirement) if requirement and hasattr(ev, "config") else ()
    if named:
        return required_tests_passed(ev, tests=named)
    te = ev.tests
    if te is None or not te.found:
        return ProbeResult(Verdict.NO, f"the project has no tests (none found; {key_hint('tests')})")
    what = EFFECT_WORDS[effect] + (" after a rerun given no resume option" if automatic else "")
    looking = [t for t in te.tests if effect in t.effects and not (automatic and t.resume_option)]
    good = [t for t in looking if not _problems(t)]
    passed = [t for t in good if t.outcome == "passed"]
    measured = {"tests": len(te.tests), "asserting_on_it": len(looking), "passed": len(passed)}
    if passed:
        t = passed[0]
        return ProbeResult(Verdict.YES, f"{t.id} drives training, asserts on {what}, and passed",
                           tuple(_cite(t, f"{t.drive}; {_outcome(t)}") for t in passed[:3]), measured)
    if good:
        t = good[0]
        machine = " (marked skipif: whether it runs depends on the machine)" if t.skipped_here_or_there else ""
        return ProbeResult(Verdict.NO_EVIDENCE, f"{t.id} drives training and asserts on {what}, but no JUnit "
                           f"result for it was found{machine}{_junit_hint(te)}"
                           + (_junit_note(te) if te.junit_errors else ""),
                           tuple(_cite(t, t.drive) for t in good[:3]), measured)
    if looking:
        cites = tuple(_cite(t, "; ".join(_problems(t))) for t in looking[:3])
        why = "; ".join(f"{t.name}: {'; '.join(_problems(t))}" for t in looking[:3])
        return ProbeResult(Verdict.NO, f"the tests that assert on {what} do not count: {why}"
                           + _rejected_junit(te), cites, measured)
    drivers = [t for t in te.tests if t.drives_entry]
    single = [t for t in drivers if effect == CHECKPOINTS and ONE_CHECKPOINT in t.effects]
    if automatic and any(effect in t.effects for t in te.tests):
        why = "every test that sees a resume hands training a resume path or flag"
    elif single:
        why = ("the tests that drive training assert on one checkpoint only, and one (a final save alone) is no "
               "evidence of saves during training: " + ", ".join(t.name for t in single[:3]))
        drivers = single
    elif drivers:
        why = f"{len(drivers)} test(s) drive training but none asserts on it"
    else:
        why = f"nothing of the {len(te.tests)} tests read drives training (they exercise helpers)"
    cites = tuple(_cite(t, f"{'drives training' if t.drives_entry else 'tests a helper'}; {_outcome(t)}")
                  for t in (drivers or list(te.tests))[:3])
    return ProbeResult(Verdict.NO, f"no test asserts on {what} through training: {why}" + _rejected_junit(te),
                       cites, measured)
