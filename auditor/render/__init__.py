"""Renderers: pure functions of an AuditResult, dispatched in one place, byte-stable output."""

from __future__ import annotations

import unicodedata

from auditor.model import Verdict
from auditor.render.escape import json_document, terminal_text
from auditor.results import AuditResult, RuleResult

FORMATS = ("terminal", "json", "markdown", "md", "sarif", "junit")

SYMBOLS = {
    Verdict.YES: "\u2705 YES",
    Verdict.PARTIAL: "\u26a0\ufe0f PARTIAL",
    Verdict.NO: "\u274c NO",
    Verdict.NOT_APPLICABLE: "N/A",
    Verdict.NO_EVIDENCE: "\u2754 NO EVIDENCE",
    Verdict.ERROR: "\u2757 ERROR",
}
ASCII_SYMBOLS = {
    Verdict.YES: "[YES]",
    Verdict.PARTIAL: "[PART]",
    Verdict.NO: "[NO]",
    Verdict.NOT_APPLICABLE: "[N/A]",
    Verdict.NO_EVIDENCE: "[??]",
    Verdict.ERROR: "[ERR]",
}


def symbols(ascii: bool) -> dict[Verdict, str]:
    return ASCII_SYMBOLS if ascii else SYMBOLS


def to_ascii(text: str) -> str:
    """Text from audited files, made ASCII: accents dropped, anything else becomes '?'."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch if ch.isascii() else ("" if unicodedata.combining(ch) else "?") for ch in text)


def render(result: AuditResult, fmt: str, *, ascii: bool = False) -> str:
    """The result in format `fmt` (terminal, json, markdown or md, sarif, junit); `ascii` drops emoji."""
    if fmt == "terminal":
        from auditor.render.terminal import render_terminal

        out = render_terminal(result, ascii=ascii)
    elif fmt == "json":
        from auditor.render.json import render_json

        return json_document(render_json(result))  # the file text kept exactly, control characters escaped
    elif fmt == "sarif":
        from auditor.render.sarif import render_sarif

        return json_document(render_sarif(result))
    elif fmt == "junit":
        from auditor.render.junit import render_junit

        return render_junit(result)
    elif fmt in ("markdown", "md"):
        from auditor.render.markdown import render_markdown

        out = render_markdown(result, ascii=ascii)
    else:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    out = terminal_text(out)  # no escape sequence from the project reaches a terminal or a Markdown viewer
    return to_ascii(out) if ascii else out


def render_explain(rule_result: RuleResult, *, ascii: bool = False) -> str:
    """One rule's evidence in full: every cell, every citation, the measured figures."""
    from auditor.render.terminal import render_rule

    out = terminal_text(render_rule(rule_result, ascii=ascii))
    return to_ascii(out) if ascii else out
