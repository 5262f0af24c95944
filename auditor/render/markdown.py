"""The Markdown report (`audit report`), rendered from templates/report.md.j2.

Text that comes from audited files (summaries, citation details) is escaped for Markdown
by auditor.render.escape: control characters become visible escapes, backslashes,
backticks and pipes get a backslash, `& < >` become entities, line breaks become spaces. Rationale and remedy come from the rule files and are the rule author's
Markdown, rendered as written.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


import jinja2

from auditor.model import COLUMN_TITLES, COLUMNS
from auditor.render import symbols
from auditor.render.escape import md_code, md_text
from auditor.render.terminal import counts_line, waiver_text
from auditor.results import AuditResult, ColumnCounts

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
md_escape = md_text  # the name callers import; the helpers live in auditor.render.escape


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = md_text
    env.filters["code"] = md_code
    return env


def _answer(c: ColumnCounts, what: str) -> str:
    """A one-line answer to "is it <what>?" from one column's counts."""
    n = c.applicable
    if n == 0:
        return "NOT APPLICABLE"
    if c.yes == n:
        return f"YES - all {n} {what}"
    if c.yes == 0 and c.partial == 0:
        if c.no_evidence == n:
            return "NO EVIDENCE - nothing to judge by"
        return f"NO - 0 of {n} {what}"
    part = f", {c.partial} partially" if c.partial else ""
    return f"PARTIALLY - {c.yes} of {n} {what}{part}"


def _assessment(result: AuditResult) -> list[str]:
    s = result.summary
    cols = s.columns
    lines = []
    if s.gated_total == 0:
        lines.append(f"No rule is in the `{s.gate}` gate, so nothing gates a launch.")
    elif s.gate_passed:
        lines.append(f"READY: all {s.gated_total} rules of the `{s.gate}` gate pass.")
    else:
        lines.append(
            f"NOT READY: {s.gated_passed} of {s.gated_total} rules of the `{s.gate}` gate pass; "
            f"{len(s.gated_failed)} fail."
        )
    w, t = cols["working"], cols["tested"]
    if w.applicable and t.applicable and w.yes > t.yes:
        lines.append(
            f"What works in the run ({w.yes} of {w.applicable}) is ahead of what is tested "
            f"({t.yes} of {t.applicable}): the behaviour is not protected against regressions."
        )
    if w.applicable and w.no_evidence == w.applicable:
        lines.append("No run was examined, so nothing is shown to work in practice.")
    if cols["docs"].yes < cols["docs"].applicable:
        lines.append("Some requirements are only implied or no longer found in the documents.")
    if s.errors:
        lines.append(f"{s.errors} cell(s) could not be judged because a probe failed; they count as failures.")
    if s.warnings:
        lines.append(f"Warnings (do not block the gate): {', '.join(s.warnings)}.")
    return lines


def report_parts(result: AuditResult, sym: dict) -> dict[str, Any]:
    """What the Markdown and HTML reports both show: questions, matrix, gaps, checklist, evidence."""
    s = result.summary
    questions = [
        ("Are the requirements documented?", _answer(s.columns["docs"], "documented")),
        ("Are they implemented in the training code?", _answer(s.columns["code"], "implemented")),
        ("Are they tested (through the training entry point, with TDD evidence)?", _answer(s.columns["tested"], "tested")),
        ("Do they work in the run?", _answer(s.columns["working"], "shown working")),
    ]
    gaps = [
        {
            "rule": rr.rule,
            "gaps": [
                {
                    "column": COLUMN_TITLES[g.column],
                    "key": g.column,
                    "symbol": sym[g.verdict],
                    "verdict": g.verdict.value,
                    "summary": g.summary,
                    "citations": g.citations,
                }
                for g in rr.gaps
            ],
        }
        for rr in result.rules
        if rr.gaps
    ]
    checklist = [
        {
            "done": rr.passed or rr.waived,
            "title": rr.rule.title,
            "why": ("waived until " + rr.waiver.expires) if rr.waived else
                   "; ".join(f"{COLUMN_TITLES[g.column]} {g.verdict.value}" for g in rr.gaps),
            "waived": rr.waived,
        }
        for rr in result.rules
        if s.gate in rr.rule.gates
    ]
    evidence = [
        {
            "rule": rr.rule,
            "cells": [
                {"column": COLUMN_TITLES[c], "key": c, "symbol": sym[rr.cells[c].verdict], "cell": rr.cells[c]}
                for c in COLUMNS
            ],
        }
        for rr in result.rules
    ]
    return dict(
        result=result,
        summary=s,
        columns=[COLUMN_TITLES[c] for c in COLUMNS],
        questions=questions,
        counts=counts_line(result),
        gaps=gaps,
        checklist=checklist,
        assessment=_assessment(result),
        waivers=[(rr.rule, waiver_text(rr)) for rr in result.rules if rr.waiver is not None],
        evidence=evidence,
    )


def render_markdown(result: AuditResult, *, ascii: bool = False, images: tuple[tuple[str, str], ...] = ()) -> str:
    """The Markdown report; `images` are (title, relative path) of drawings to link (`--assets`)."""
    sym = symbols(ascii)
    text = _env().get_template("report.md.j2").render(
        matrix=[(rr.rule.title + (" (waived)" if rr.waived else ""), [sym[rr.cells[c].verdict] for c in COLUMNS])
                for rr in result.rules],
        images=images,
        **report_parts(result, sym),
    )
    return text.rstrip("\n") + "\n"
