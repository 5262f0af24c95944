"""TDD probe: did the required tests go through red, green and refactor, in that order?"""

from __future__ import annotations

from typing import Any, Iterable

from auditor.evidence.tdd import TddArtifact, TddEvidence
from auditor.model import Citation, ProbeResult, Verdict, probe


_SOURCES = {"record": "its record", "junit": "its JUnit timestamp", "text": "a date in its text",
            "filename": "its file name", "git": "the commit that added it", "mtime": "the file's mtime only"}


def _when(a: TddArtifact) -> str:
    if a.time is None:
        return "time unknown"
    import time as _time

    stamp = _time.strftime("%Y-%m-%d %H:%M:%SZ", _time.gmtime(a.time))
    source = _SOURCES.get(a.time_source, a.time_source) + (f" {a.commit}" if a.commit else "")
    return f"{stamp} (from {source})"


def _cite(a: TddArtifact, note: str) -> Citation:
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in a.counts.items() if v) or "no counts"
    return Citation(a.path, a.line, detail=f"{a.phase} {_when(a)}: {counts}; {note}")


def _provably_before(a: TddArtifact, b: TddArtifact) -> bool:
    """a was recorded no later than b, by times that say so: a checkout or copy resets file mtimes,
    so an order that rests on an mtime is unknown, not evidence either way."""
    return a.dated and b.dated and a.time <= b.time


def _unordered(*arts: TddArtifact) -> list[TddArtifact]:
    """The artifacts whose place in the cycle nothing but a file mtime gives."""
    return [a for a in arts if not a.dated]


def _passed_in_green(arts: list[TddArtifact]) -> set[str]:
    """The tests that passed in the feature's green and refactor records that passed (asked only where a red
    failed by a collection error: a record of the whole suite names thousands)."""
    return set().union(*(a.names(a.passed) for a in arts if a.phase in ("green", "refactor") and a.ok))


def _cycle(arts: list[TddArtifact], names: set[str]) -> tuple[bool, list[str], list[Citation], set[str]]:
    """Judge one feature's artifacts; returns (complete, problems, citations, names covered by red)."""
    problems: list[str] = []
    cites: list[Citation] = []
    reds = [a for a in arts if a.phase == "red" and (a.counts.get("failed", 0) + a.counts.get("errors", 0)
                                                     + a.counts.get("timed_out", 0) > 0 or a.failed)]
    covered: set[str] = set()
    red = None
    for a in reds:
        failing = a.names(a.failed + a.timed_out)
        # a collection error (an import of code not written yet) fails every test of its module
        collection_error = any("::" not in i or i.endswith(".py") for i in a.failed)
        later_passed = _passed_in_green(arts) if collection_error else set()
        if not names or failing & names or later_passed & names:
            red = a
            covered = (failing | later_passed) & names if names else failing
            break
    if red is None:
        any_red = next((a for a in arts if a.phase == "red"), None)
        if any_red is None:
            problems.append("no red record")
        else:
            failing = sorted(any_red.names(any_red.failed))
            shown = ", ".join(failing[:3]) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
            problems.append(f"red failed {shown or 'nothing'}" + (" but none of the required tests" if names else ""))
            cites.append(_cite(any_red, "does not fail the required tests" if names else "shows no failure"))
        return False, problems, cites, covered
    cites.append(_cite(red, "fails as it should: " + ", ".join(sorted(red.names(red.failed + red.timed_out)))[:200]))
    greens = [a for a in arts if a.phase == "green" and not _provably_before(a, red)]
    good_green = next((a for a in greens if a.ok and (not names or not a.passed or covered <= a.names(a.passed))),
                      None)
    if good_green is None:
        bad = greens[-1] if greens else next((a for a in arts if a.phase == "green"), None)
        if bad is None:
            problems.append("no green record after red")
        else:
            why = "timed out" if bad.counts.get("timed_out") else (
                "tests failed" if bad.counts.get("failed") or bad.counts.get("errors") else "nothing passed")
            if _provably_before(bad, red):
                why = "recorded before red"
            problems.append(f"green {why}")
            cites.append(_cite(bad, f"green not reached: {why}"))
        return False, problems, cites, covered
    cites.append(_cite(good_green, "all pass, no time-outs"))
    refactor = next((a for a in arts if a.phase == "refactor" and a.ok
                     and not (_provably_before(a, good_green) and a.time != good_green.time)), None)
    if refactor is None:
        late = next((a for a in arts if a.phase == "refactor"), None)
        problems.append("refactor never completed" if late is None else "refactor did not pass after green")
        if late is not None:
            cites.append(_cite(late, "refactor not passing after green"))
        return False, problems, cites, covered
    cites.append(_cite(refactor, "still passes after clean-up"))
    undated = _unordered(red, good_green, refactor)
    if undated:
        problems.append(ORDER_UNKNOWN + ", ".join(f"{a.path}" for a in undated))
        return False, problems, cites, covered
    return True, problems, cites, covered


ORDER_UNKNOWN = "order not established (no date in the record, no JUnit timestamp, no commit; only file mtimes) for "


def _order_unknown(problems: dict[str, list[str]]) -> bool:
    """Every feature's only problem is an order nothing but mtimes gives."""
    return bool(problems) and all(any(w.startswith(ORDER_UNKNOWN) for w in why) and len(why) == 1
                                  for why in problems.values())


@probe("tdd.cycle_complete")
def cycle_complete(ev: Any, tests: Iterable[str] | None = None, requirement: str = "") -> ProbeResult:
    """yes: red shows failures (of the named tests when given, or of those the project's
    `required_tests` names for `requirement`), green passes them with no time-outs, refactor
    passes, and red < green <= refactor in time."""
    from auditor.resolve import key_hint

    tdd: TddEvidence = ev.tdd
    if tdd is None or not tdd.found:
        where = ", ".join(getattr(tdd, "locations", ()) or ()) or "the project"
        errors = "; ".join(getattr(tdd, "errors", ())[:2])
        return ProbeResult(Verdict.NO_EVIDENCE, f"no TDD record found in {where[:200]}"
                           + (f" ({errors})" if errors else f" ({key_hint('tdd_artifacts')})"))
    config = getattr(ev, "config", None)
    names = set(tests or ()) | set(config.required_tests_for(requirement) if requirement and config else ())
    complete: list[str] = []
    covered: set[str] = set()
    problems: dict[str, list[str]] = {}
    cites: list[Citation] = []
    for feature, arts in tdd.features().items():
        ok, why, fcites, fcovered = _cycle(arts, names)
        if ok:
            complete.append(feature)
            covered |= fcovered
            cites += fcites
        else:
            problems[feature] = why
            cites += fcites
    flagged = sorted({a.path for a in tdd.artifacts if a.time_source == "mtime"})
    measured = {"features": len(tdd.features()), "complete": len(complete), "artifacts": len(tdd.artifacts),
                "times_from_mtime": len(flagged)}
    note = f" (times of {len(flagged)} artifacts from file mtimes only)" if flagged else ""
    if tdd.errors:  # an artifact that could not be read is said, never silently dropped
        note += " (not read: " + "; ".join(tdd.errors[:2]) + (f"; and {len(tdd.errors) - 2} more" if len(
            tdd.errors) > 2 else "") + ")"
    def details() -> str:
        relevant = [(f, w) for f, w in problems.items() if not names or not all(x.startswith("red failed") for x in w)]
        relevant = relevant or list(problems.items())
        text = "; ".join(f"{f}: {', '.join(w)}" for f, w in relevant[:3])
        return text + (f"; and {len(relevant) - 3} more" if len(relevant) > 3 else "")

    if not complete and _order_unknown(problems):
        return ProbeResult(Verdict.NO_EVIDENCE, f"red, green and refactor records exist but their {details()}: "
                                                "a checkout or copy sets file mtimes, so they order nothing" + note,
                           tuple(cites[:9]), measured)
    if names:
        missing = sorted(names - covered)
        if not missing:
            return ProbeResult(Verdict.YES, f"red, green and refactor recorded for {', '.join(sorted(names))}" + note,
                               tuple(cites[:9]), measured)
        found = details()
        return ProbeResult(Verdict.NO, f"no complete red-green-refactor cycle for {', '.join(missing)}"
                           + (f" ({found})" if found else "") + note, tuple(cites[:9]), measured)
    if problems:
        return ProbeResult(Verdict.NO, f"incomplete TDD cycles: {details()}" + note, tuple(cites[:9]), measured)
    return ProbeResult(Verdict.YES, f"{len(complete)} features went through red, green and refactor" + note,
                       tuple(cites[:9]), measured)
