"""Terminal output: the matrix with symbols, the counts, the exit reason; and `explain`."""

from __future__ import annotations

import textwrap
import unicodedata

from auditor.model import COLUMN_TITLES, COLUMNS
from auditor.render import symbols
from auditor.results import AuditResult, RuleResult


def _width(text: str) -> int:
    """Display columns of `text` in a terminal (emoji count two, variation selectors zero)."""
    w = 0
    for ch in text:
        if ch == "\ufe0f" or unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" or ch == "\u26a0" else 1
    return w


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def counts_line(result: AuditResult) -> str:
    s = result.summary
    parts = []
    for col, word in (("docs", "documented"), ("code", "implemented"), ("tested", "tested"), ("working", "working")):
        c = s.columns[col]
        extra = f" (+{c.partial} partial)" if c.partial else ""
        parts.append(f"{word} {c.yes}/{c.applicable}{extra}")
    return ", ".join(parts)


def render_terminal(result: AuditResult, *, ascii: bool = False) -> str:
    sym = symbols(ascii)
    header = ["Requirement"] + [COLUMN_TITLES[c] for c in COLUMNS]
    rows = [[rr.rule.title + (" (waived)" if rr.waived else "")] + [sym[rr.cells[c].verdict] for c in COLUMNS]
            for rr in result.rules]
    widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = [
        f"Audit of {result.project} (run: {result.run_dir or 'none'}, rules: {result.rules_dir}, {result.date})",
        *([result.read] if result.read else []),
        *([f"Not read: {'; '.join(result.not_read)}"] if result.not_read else []),
        "",
        "  ".join(_pad(h, w) for h, w in zip(header, widths)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip() for row in rows]
    lines += ["", f"Counts: {counts_line(result)}"]
    if result.summary.errors:
        lines.append(f"Probe errors: {result.summary.errors} cell(s); see `audit explain RULE_ID`")
    failing = [rr for rr in result.rules if rr.gaps]
    if failing:
        lines += ["", "Gaps:"]
        for rr in failing:
            for gap in rr.gaps:
                lines.append(f"  {rr.rule.id} / {COLUMN_TITLES[gap.column]} {sym[gap.verdict]}: {gap.summary}")
    waivers = [rr for rr in result.rules if rr.waiver is not None]
    if waivers:
        lines += ["", "Waivers:"]
        lines += [f"  {rr.rule.id}: {waiver_text(rr)}" for rr in waivers]
    lines += ["", f"{result.exit_reason} -> exit {result.exit_code}"]
    return "\n".join(lines) + "\n"


def waiver_text(rr: RuleResult) -> str:
    """One line about a rule's waiver: its state, expiry, approver, columns and justification."""
    w = rr.waiver
    state = (f"EXPIRED on {w.expires}" if rr.waiver_expired else
             f"waived until {w.expires}" if rr.waived else
             f"not needed (the rule passes), until {w.expires}" if rr.passed else
             f"does not cover every gap, until {w.expires}")
    extra = "".join((f", approved by {w.approved_by}" if w.approved_by else "",
                     f", columns {', '.join(w.columns)}" if w.columns else ""))
    return f"{state}{extra}: {w.justification}"


def render_rule(rr: RuleResult, *, ascii: bool = False) -> str:
    sym = symbols(ascii)
    rule = rr.rule
    lines = [
        f"{rule.id}: {rule.title}",
        f"  severity: {rule.severity}; gates: {', '.join(rule.gates) or 'none'}; file: {rule.path}:{rule.line}",
        f"  result: {'pass' if rr.passed else 'waived' if rr.waived else 'fail'}",
        *([f"  waiver: {waiver_text(rr)}"] if rr.waiver is not None else []),
        "",
        "Rationale:",
        *textwrap.wrap(rule.rationale, width=92, initial_indent="  ", subsequent_indent="  "),
        "",
        "Cited in:",
    ]
    for c in rule.citations:
        flags = ", ".join(f for f, on in (("implied", c.implied), ("optional", c.optional)) if on)
        lines.append(f"  {c.document}: \"{c.passage}\"" + (f" ({flags})" if flags else ""))
    for col in COLUMNS:
        cell = rr.cells[col]
        probe = f" [{cell.probe}]" if cell.probe else ""
        lines += ["", f"{COLUMN_TITLES[col]} {sym[cell.verdict]}{probe}", f"  {cell.summary}"]
        for cit in cell.citations:
            lines.append(f"  - {cit.location()}")
            for dl in cit.detail.splitlines():
                lines.append(f"      {dl}")
        for key in sorted(cell.measured):
            lines.append(f"  {key}: {cell.measured[key]}")
    lines += ["", "Remedy:", *("  " + line if line else "" for line in rule.remedy.splitlines())]
    return "\n".join(lines) + "\n"
