"""The engine: evaluate each rule's four columns by calling the registered probes.

A probe is called as fn(evidence, **params). `docs.cited` also receives the rule's
citations (unless its params name others). A probe of kind `run` is not called when no run
directory was given: its cell is NO EVIDENCE. A probe that is not registered, raises, or
returns something other than a ProbeResult gives an ERROR cell carrying the message; the
audit goes on.
"""

from __future__ import annotations

from typing import Any, Iterable

import auditor.probes  # noqa: F401  (fills the probe registry)
from auditor.evidence import Evidence
from auditor.model import COLUMNS, PROBES, ProbeResult, Verdict
from auditor.results import AuditResult, Cell, Gap, RuleResult, summarise
from auditor.rules import Column, Rule


def _probe_cell(rule: Rule, column: Column, evidence: Evidence) -> Cell:
    name = column.probe or ""
    if name.startswith("run.") and evidence.run_dir is None:
        return Cell(Verdict.NO_EVIDENCE, "no run directory given (use --run DIR or the config's run_dir)", probe=name)
    fn = PROBES.get(name)
    if fn is None:
        return Cell(Verdict.ERROR, f"probe {name!r} is not registered (is its module installed?)", probe=name)
    params: dict[str, Any] = dict(column.params)
    if name == "docs.cited" and "citations" not in params:
        params["citations"] = rule.citations
    try:
        result = fn(evidence, **params)
    except Exception as exc:  # a broken probe or collector must not stop the audit
        message = str(exc).strip() or "(no message)"
        return Cell(Verdict.ERROR, f"probe {name} failed: {type(exc).__name__}: {message}", probe=name)
    if not isinstance(result, ProbeResult):
        return Cell(Verdict.ERROR, f"probe {name} returned {type(result).__name__}, not a ProbeResult", probe=name)
    return Cell(
        verdict=Verdict(result.verdict),
        summary=result.summary,
        citations=tuple(result.citations),
        measured=dict(result.measured),
        probe=name,
    )


def evaluate_rule(rule: Rule, evidence: Evidence) -> RuleResult:
    cells: dict[str, Cell] = {}
    gaps: list[Gap] = []
    for col in COLUMNS:
        column = rule.columns[col]
        if not column.applicable:
            cells[col] = Cell(Verdict.NOT_APPLICABLE, column.na or "not applicable")
            continue
        cell = _probe_cell(rule, column, evidence)
        cells[col] = cell
        if cell.verdict is not Verdict.YES:
            gaps.append(Gap(col, cell.verdict, cell.summary, cell.citations))
    return RuleResult(rule=rule, cells=cells, gaps=tuple(gaps))


def evaluate(
    rules: Iterable[Rule],
    evidence: Evidence,
    *,
    gate: str = "prelaunch",
    date: str,
    project: str | None = None,
    run_dir: str | None = None,
    rules_dir: str = "",
) -> AuditResult:
    """Evaluate every rule against the evidence; never raises for a failing probe."""
    results = tuple(evaluate_rule(rule, evidence) for rule in rules)
    if run_dir is None and evidence.run_dir is not None:
        run_dir = str(evidence.run_dir)
    return AuditResult(
        rules=results,
        summary=summarise(results, gate),
        date=date,
        project=project if project is not None else str(evidence.config.root),
        run_dir=run_dir,
        rules_dir=rules_dir,
    )
