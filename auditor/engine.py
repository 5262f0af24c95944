"""The engine: evaluate each rule's four columns by calling the registered probes.

A probe is called as fn(evidence, **params). `docs.cited` also receives the rule's
citations (unless its params name others). A probe of kind `run` is not called when no run
directory was given: its cell is NO EVIDENCE. A probe that is not registered, raises, or
returns something other than a ProbeResult gives an ERROR cell carrying the message; the
audit goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import auditor.probes  # noqa: F401  (fills the probe registry)
from auditor.ckptnames import FILE_SUFFIXES
from auditor.config import ProjectConfig, project_name
from auditor.evidence import Evidence
from auditor.model import COLUMNS, PROBES, ProbeResult, Verdict
from auditor.results import AuditResult, Cell, Gap, RuleResult, summarise
from auditor.rules import Column, Rule


_FILE_KINDS = "/".join(FILE_SUFFIXES)  # what discovery takes for checkpoint files, as the hint names them


def _probe_cell(rule: Rule, column: Column, evidence: Evidence) -> Cell:
    name = column.probe or ""
    if name.startswith("run.") and evidence.run_dir is None:
        return Cell(Verdict.NO_EVIDENCE, f"no run directory found (a folder of checkpoint files, {_FILE_KINDS}, "
                                         "or of checkpoint folders, checkpoint-N/, step_N/, DCP): pass --run DIR, "
                                         "or set `run_dir` in audit.yaml or [tool.audit] of pyproject.toml", probe=name)
    fn = PROBES.get(name)
    if fn is None:
        return Cell(Verdict.ERROR, f"probe {name!r} is not registered (is its module installed?)", probe=name)
    params: dict[str, Any] = dict(column.params)
    if name == "docs.cited" and "citations" not in params:
        params["citations"] = rule.citations
    try:
        result = fn(evidence, **params)
    except Exception as exc:  # noqa: BLE001 - a broken probe or collector must not stop the audit
        message = str(exc).strip() or "(no message)"
        return Cell(Verdict.ERROR, f"probe {name} failed: {type(exc).__name__}: {message}", probe=name)
    if not isinstance(result, ProbeResult):
        return Cell(Verdict.ERROR, f"probe {name} returned {type(result).__name__}, not a ProbeResult", probe=name)
    return Cell(
        verdict=Verdict(result.verdict),
        summary=result.summary + (_unread_run_files(evidence, result.summary) if name.startswith("run.") else ""),
        citations=tuple(result.citations),
        measured=dict(result.measured),
        probe=name,
    )


def _unread_run_files(evidence: Evidence, summary: str) -> str:
    """The run files that could not be read (a link out, a FIFO, deep JSON, no permission), said in
    every run cell: one bad file is one entry, and the verdict is from what could be read."""
    errors = tuple(getattr(evidence.run, "errors", ()) or ())
    if not errors or errors[0] in summary:
        return ""
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return " (not read: " + "; ".join(errors[:3]) + more + ")"


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
    name: str | None = None,
) -> AuditResult:
    """Evaluate every rule against the evidence; never raises for a failing probe."""
    from auditor.resolve import read_summary

    results = tuple(evaluate_rule(rule, evidence) for rule in rules)
    if run_dir is None and evidence.run_dir is not None:
        run_dir = str(evidence.run_dir)
    read = read_summary(evidence.config, run_dir)
    return AuditResult(
        rules=results,
        summary=summarise(results, gate),
        date=date,
        project=project if project is not None else str(evidence.config.root),
        run_dir=run_dir,
        rules_dir=rules_dir,
        name=name if name is not None else project_name(evidence.config.root),
        read=read.line,
        not_read=read.not_read,
    )


def resolve_date(date: str | None, environ: dict[str, str] | None = None) -> str:
    """The report date: `date` (YYYY-MM-DD) if given, else SOURCE_DATE_EPOCH, else today (UTC).

    Raises AuditInputError naming the source of a malformed value.
    """
    import datetime as dt
    import os

    env = os.environ if environ is None else environ
    if date is not None:
        try:
            return dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise AuditInputError(f"--date {date!r} is not a date in the form YYYY-MM-DD") from None
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise AuditInputError(f"SOURCE_DATE_EPOCH {epoch!r} is not a Unix time in seconds") from None
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


class AuditInputError(Exception):
    """The audit cannot start: a missing run directory, rules folder or similar (exit 2)."""


def resolve_rules_dir(config: ProjectConfig, rules: str | Path | None) -> Path:
    """--rules, else the project's rules folder, else the rules that ship with the auditor."""
    from auditor.rules import BUILTIN_RULES

    if rules is not None:
        return Path(rules)
    own = config.path(config.rules)
    if own.is_dir():
        return own
    if config.rules != "rules":  # configured explicitly, so its absence is an error
        raise AuditInputError(f"rules folder {own} (key 'rules' in {config.source_file}) does not exist")
    return BUILTIN_RULES


def audit_project(
    project: str | Path = ".",
    *,
    run: str | Path | None = None,
    junit: tuple[str, ...] | list[str] = (),
    rules: str | Path | None = None,
    gate: str = "prelaunch",
    date: str | None = None,
    waivers: str | Path | None = None,
    verify_checksums: bool = False,
) -> AuditResult:
    """Load the project's configuration and rules and evaluate them (what `audit check` does).

    `waivers`: a waivers file [default: the project's audit-waivers.yaml when it exists].
    `verify_checksums`: re-hash each manifest checkpoint against its sha256 (reads every byte).
    Raises ConfigError, RulesError, WaiverError or AuditInputError for bad input.
    """
    return audit_with_evidence(project, run=run, junit=junit, rules=rules, gate=gate, date=date, waivers=waivers,
                               verify_checksums=verify_checksums)[0]


def audit_with_evidence(
    project: str | Path = ".",
    *,
    run: str | Path | None = None,
    junit: tuple[str, ...] | list[str] = (),
    rules: str | Path | None = None,
    gate: str = "prelaunch",
    date: str | None = None,
    waivers: str | Path | None = None,
    verify_checksums: bool = False,
) -> tuple[AuditResult, Evidence]:
    """`audit_project`, and the evidence it judged by (the HTML report draws the run from it)."""
    import os

    from auditor.config import load_config, with_junit
    from auditor.resolve import resolve
    from auditor.rules import load_rules

    config = load_config(project)
    if junit:
        config = with_junit(config, [os.path.abspath(j) for j in junit])
    config = resolve(config)
    if run is not None:
        run_path: Path | None = Path(run)
        if not run_path.is_dir():
            raise AuditInputError(f"run directory {run} does not exist")
        shown_run: str | None = str(run)
    else:
        run_path = config.default_run_dir()
        shown_run = config.run_dir if run_path is not None else None
    rules_dir = resolve_rules_dir(config, rules)
    loaded = load_rules(rules_dir)
    shown_rules = _shown(rules_dir, config.root)
    from auditor.waivers import apply_waivers, default_waivers_file, load_waivers

    from auditor import safeio

    waivers_file = Path(waivers) if waivers is not None else default_waivers_file(config.root)
    within = safeio.project(config.root) if waivers is None else None  # a file named on the command line may lie anywhere
    accepted = load_waivers(waivers_file, [r.id for r in loaded], within) if waivers_file is not None else {}
    evidence = Evidence(config, run_path, verify_checksums)
    result = evaluate(
        loaded,
        evidence,
        gate=gate,
        date=resolve_date(date),
        project=str(project),
        run_dir=shown_run,
        rules_dir=shown_rules,
    )
    return apply_waivers(result, accepted), evidence


def _shown(path: Path, root: Path) -> str:
    """A path for reports: relative to the project when inside it, so output is machine-independent."""
    from auditor.rules import BUILTIN_RULES

    p = path.resolve()
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return "(built-in rules)" if p == BUILTIN_RULES else str(path)
