"""The HTML report (`audit report --format html`): one self-contained page, a pure function of its inputs.

The page carries everything inline (CSS, the SVG timeline and curves) and no script at all;
its Content-Security-Policy forbids every fetch and every script, so it opens the same from
disk, from a CI artifact or offline. Text from the audited project (names, paths, log
lines, summaries, citations) is escaped by render/escape.py's html_text on its way into the
template (control characters and bidi overrides shown as visible escapes); rationale and
remedy are the rule author's Markdown, rendered by markdown-it with raw HTML and images
turned off. Every matrix cell links to its evidence further down the page (one click, no
script: an anchor, highlighted by CSS `:target`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from auditor.model import COLUMN_TITLES, COLUMNS, Verdict
from auditor.render.curves import Curves, build_curves
from auditor.render.markdown import report_parts
from auditor.render.svg import render_curves_svg, render_timeline_svg, template_env
from auditor.render.timeline import Timeline, band, bounds_from, build_timeline, short
from auditor.results import AuditResult

WORDS = {
    Verdict.YES: "YES",
    Verdict.PARTIAL: "PARTIAL",
    Verdict.NO: "NO",
    Verdict.NOT_APPLICABLE: "N/A",
    Verdict.NO_EVIDENCE: "NO EVIDENCE",
    Verdict.ERROR: "ERROR",
}


@dataclass(frozen=True)
class Drawings:
    """What the report draws about the run, and the facts of its header that the result lacks."""

    timeline: Timeline
    curves: Curves
    commit: str | None = None  # the audited project's git commit, when it is a checkout


def build_drawings(result: AuditResult, run: Any, commit: str | None = None) -> Drawings:
    """The timeline and curves of `run` (RunEvidence or None), judged by the bounds of the result's rules."""
    return Drawings(build_timeline(run, bounds_from(rr.rule for rr in result.rules)), build_curves(run), commit)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")  # an image would be a fetch; the page makes none
    return md


def _rule_markdown(text: str) -> Markup:
    return Markup(_markdown().render(text or ""))  # markdown-it escaped it; raw HTML is off


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = template_env()
    env.filters["rulemd"] = _rule_markdown
    return env


def render_html(result: AuditResult, drawings: Drawings) -> str:
    """The whole report as one HTML page."""
    words = {v: WORDS[v] for v in Verdict}
    parts = report_parts(result, words)
    anchors = {rr.rule.id: f"r{i}" for i, rr in enumerate(result.rules, start=1)}
    matrix = [
        {"rule": rr.rule, "anchor": anchors[rr.rule.id], "waived": rr.waived,
         "cells": [{"key": c, "verdict": rr.cells[c].verdict.value, "word": words[rr.cells[c].verdict],
                    "summary": rr.cells[c].summary} for c in COLUMNS]}
        for rr in result.rules
    ]
    text = _env().get_template("report.html.j2").render(
        matrix=matrix,
        anchors=anchors,
        column_titles=COLUMN_TITLES,
        commit=drawings.commit,
        timeline=drawings.timeline,
        band=band(drawings.timeline.bounds),
        beat_bound=short(drawings.timeline.bounds.beat_max_s),
        curves=drawings.curves,
        timeline_svg=Markup(render_timeline_svg(drawings.timeline).rstrip("\n")),  # escaped inside
        curves_svg=Markup(render_curves_svg(drawings.curves).rstrip("\n")),  # escaped inside
        **parts,
    )
    return text.rstrip("\n") + "\n"
