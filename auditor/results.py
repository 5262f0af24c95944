"""Frozen results of an audit: cells, rule results, summary counts and the exit code.

When a rule passes: every applicable column (not N/A) is YES. PARTIAL, NO, NO EVIDENCE and
ERROR all fail the rule; a partial is reported as such but is not a pass (an interval of
50 s "technically OK" is still a gap against a 1-5 min requirement).

Exit code of `audit check`: 0 when every rule of the selected gate with severity `error`
passes, 1 when one does not. Rules of severity `warning` or `info` in the gate are
reported (summary.warnings) but do not change the exit code. A failing rule under an active
waiver (auditor/waivers.py) is reported as waived and does not fail the gate; an expired
waiver of a gated rule fails it. Usage and configuration
errors are 2 and internal errors 3; those are raised before a result exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from auditor.model import COLUMNS, Citation, Verdict
from auditor.rules import Rule

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass(frozen=True)
class Cell:
    """One matrix cell: the verdict, a sentence, where the evidence is, measured figures."""

    verdict: Verdict
    summary: str
    citations: tuple[Citation, ...] = ()
    measured: Mapping[str, Any] = field(default_factory=dict)
    probe: str | None = None  # the probe that answered; None for N/A


@dataclass(frozen=True)
class Gap:
    """An applicable column that is not YES."""

    column: str
    verdict: Verdict
    summary: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    """One rule's row of the matrix: a cell for each column, the columns that are not YES, and its waiver if any."""

    rule: Rule
    cells: Mapping[str, Cell]
    gaps: tuple[Gap, ...]
    waiver: Any = None  # an auditor.waivers.Waiver for this rule, if the waivers file has one
    waiver_expired: bool = False  # the waiver's date is before the audit date

    @property
    def passed(self) -> bool:
        return not self.gaps

    @property
    def waived(self) -> bool:
        """Failing, but under an unexpired waiver that covers every gap: does not fail the gate."""
        return (not self.passed and self.waiver is not None and not self.waiver_expired
                and all(self.waiver.covers(g.column) for g in self.gaps))


@dataclass(frozen=True)
class ColumnCounts:
    """Verdict counts of one column over all rules."""

    yes: int = 0
    partial: int = 0
    no: int = 0
    not_applicable: int = 0
    no_evidence: int = 0
    error: int = 0

    @property
    def applicable(self) -> int:
        return self.yes + self.partial + self.no + self.no_evidence + self.error


_COUNT_FIELD = {
    Verdict.YES: "yes",
    Verdict.PARTIAL: "partial",
    Verdict.NO: "no",
    Verdict.NOT_APPLICABLE: "not_applicable",
    Verdict.NO_EVIDENCE: "no_evidence",
    Verdict.ERROR: "error",
}


@dataclass(frozen=True)
class Summary:
    """Counts over the whole audit: verdicts per column, and how the rules of the gate came out."""

    rules: int
    columns: Mapping[str, ColumnCounts]
    gate: str
    gated_total: int  # rules in the gate (any severity)
    gated_passed: int
    gated_failed: tuple[str, ...]  # ids of failing gated rules of severity error
    warnings: tuple[str, ...]  # ids of failing gated rules of severity warning/info
    errors: int  # cells whose probe failed
    waived: tuple[str, ...] = ()  # ids of failing gated rules under an active waiver (not in gated_failed)
    expired_waivers: tuple[tuple[str, str], ...] = ()  # (rule id, expiry date) of gated rules: fail the gate

    @property
    def gate_passed(self) -> bool:
        return not self.gated_failed and not self.expired_waivers


@dataclass(frozen=True)
class AuditResult:
    """One audit of a project: every rule's result, the summary, and what was read to reach them."""

    rules: tuple[RuleResult, ...]
    summary: Summary
    date: str  # YYYY-MM-DD
    project: str  # as given on the command line
    run_dir: str | None
    rules_dir: str
    name: str = ""  # the project's name (pyproject.toml's [project].name, else its folder's)
    read: str = ""  # what the audit read ("Read: 7 modules under src/, 2 documents, ...; no run directory")
    not_read: tuple[str, ...] = ()  # what it saw and left out, and files it could not read

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.summary.gate_passed else EXIT_FAIL

    @property
    def exit_reason(self) -> str:
        s = self.summary
        head = f"gate {s.gate}: {s.gated_passed}/{s.gated_total} rules pass"
        if s.gated_total == 0:
            return f"gate {s.gate}: no rules in this gate; nothing to fail"
        if s.waived:
            head += f", {len(s.waived)} waived ({', '.join(s.waived)})"
        if s.gate_passed:
            extra = f" (warnings: {', '.join(s.warnings)})" if s.warnings else ""
            return f"{head}{extra}"
        problems = [f"failing: {', '.join(s.gated_failed)}"] if s.gated_failed else []
        problems += [f"waiver for {rid} expired on {date}" for rid, date in s.expired_waivers]
        return f"{head}; {'; '.join(problems)}"


def summarise(results: tuple[RuleResult, ...], gate: str) -> Summary:
    counts: dict[str, dict[str, int]] = {c: {} for c in COLUMNS}
    errors = 0
    for rr in results:
        for col in COLUMNS:
            key = _COUNT_FIELD[rr.cells[col].verdict]
            counts[col][key] = counts[col].get(key, 0) + 1
            errors += rr.cells[col].verdict is Verdict.ERROR
    gated = [rr for rr in results if gate in rr.rule.gates]
    failed = tuple(rr.rule.id for rr in gated if not rr.passed and not rr.waived and rr.rule.severity == "error")
    warnings = tuple(rr.rule.id for rr in gated if not rr.passed and not rr.waived and rr.rule.severity != "error")
    return Summary(
        rules=len(results),
        columns={c: ColumnCounts(**counts[c]) for c in COLUMNS},
        gate=gate,
        gated_total=len(gated),
        gated_passed=sum(rr.passed for rr in gated),
        gated_failed=failed,
        warnings=warnings,
        errors=errors,
        waived=tuple(rr.rule.id for rr in gated if rr.waived),
        expired_waivers=tuple((rr.rule.id, rr.waiver.expires) for rr in gated if rr.waiver is not None and rr.waiver_expired),
    )
