"""Renderers: pure, byte-stable functions of an AuditResult (terminal, json, markdown, explain)."""

import json
from pathlib import Path

import pytest

from auditor.model import COLUMNS, Citation, Verdict
from auditor.render import render, render_explain
from auditor.results import Cell, Gap, RuleResult, summarise, AuditResult
from auditor.rules import Column, Rule, RuleCitation


def make_rule(rid: str, title: str, na: tuple[str, ...] = ()) -> Rule:
    return Rule(
        id=rid, title=title, severity="error", rationale="Why it matters.",
        citations=(RuleCitation("requirements.md", "every 1-5 min"),),
        columns={c: (Column(na="process only") if c in na else Column(probe=f"x.{c}")) for c in COLUMNS},
        remedy="Call `save()` in the loop.", gates=("prelaunch",), path=Path(f"rules/{rid}.yaml"),
    )


def make_result() -> AuditResult:
    hostile = "a | b `tick` <script>alert(1)</script> & more\nsecond line"
    r1 = make_rule("periodic-checkpoints", "Periodic Checkpoints")
    cells1 = {
        "docs": Cell(Verdict.YES, "documented at .cursorrules:12", (Citation(".cursorrules", 12, detail="Incremental checkpoints"),), probe="docs.cited"),
        "code": Cell(Verdict.PARTIAL, "interval is 10 epochs (~50s)", (Citation("train.py", 40, 41, hostile),), {"interval_s": 50.0}, "x.code"),
        "tested": Cell(Verdict.NO, "test_checkpoints_created_at_intervals does not exist", probe="x.tested"),
        "working": Cell(Verdict.NO_EVIDENCE, "no run directory given", probe="x.working"),
    }
    r2 = make_rule("tdd-process", "TDD Process Followed", na=("code", "working"))
    cells2 = {
        "docs": Cell(Verdict.YES, "documented", probe="docs.cited"),
        "code": Cell(Verdict.NOT_APPLICABLE, "process only"),
        "tested": Cell(Verdict.ERROR, "probe x.tested failed: ValueError: boom", probe="x.tested"),
        "working": Cell(Verdict.NOT_APPLICABLE, "process only"),
    }
    rrs = tuple(
        RuleResult(rule, cells, tuple(Gap(c, cells[c].verdict, cells[c].summary, cells[c].citations)
                                      for c in COLUMNS if cells[c].verdict not in (Verdict.YES, Verdict.NOT_APPLICABLE)))
        for rule, cells in ((r1, cells1), (r2, cells2))
    )
    return AuditResult(rrs, summarise(rrs, "prelaunch"), "2026-01-25", "proj", None, "rules")


def test_terminal_matrix_symbols_counts_and_exit_reason() -> None:
    out = render(make_result(), "terminal")
    for text in ("Periodic Checkpoints", "TDD Process Followed", "In Docs?", "Working?",
                 "\u2705", "\u26a0\ufe0f", "\u274c", "N/A", "\u2754"):
        assert text in out, text
    assert "tested 0/2" in out.lower()
    assert "gate prelaunch: 0/2 rules pass; failing: periodic-checkpoints, tdd-process" in out
    assert "exit 1" in out


def test_ascii_mode_has_no_emoji() -> None:
    for fmt in ("terminal", "markdown"):
        out = render(make_result(), fmt, ascii=True)
        assert out.isascii(), fmt
        for tag in ("[YES]", "[PART]", "[NO]", "[N/A]", "[??]"):
            assert tag in out, (fmt, tag)


def test_json_is_stable_and_documented_shape() -> None:
    res = make_result()
    text = render(res, "json")
    assert text == render(make_result(), "json")
    data = json.loads(text)
    assert data["format"] == "audit-result/1"
    assert data["exit_code"] == 1 and data["date"] == "2026-01-25"
    r = data["rules"][0]
    assert r["id"] == "periodic-checkpoints" and r["passed"] is False
    assert r["cells"]["code"] == {
        "verdict": "partial", "summary": "interval is 10 epochs (~50s)", "probe": "x.code",
        "citations": [{"source": "train.py", "line": 40, "end_line": 41,
                       "detail": "a | b `tick` <script>alert(1)</script> & more\nsecond line"}],
        "measured": {"interval_s": 50.0},
    }
    assert [g["column"] for g in r["gaps"]] == ["code", "tested", "working"]
    assert data["summary"]["columns"]["tested"] == {
        "yes": 0, "partial": 0, "no": 1, "n/a": 0, "no evidence": 0, "error": 1, "applicable": 2}
    assert data["summary"]["gate"] == {"name": "prelaunch", "rules": 2, "passed": 0,
                                      "failed": ["periodic-checkpoints", "tdd-process"], "warnings": [],
                                      "waived": [], "expired_waivers": [], "pass": False}
    doc = (Path(__file__).resolve().parents[2] / "docs" / "json-schema.md").read_text(encoding="utf-8")
    for key in ("audit-result/1", "exit_reason", "measured", "no evidence", "applicable"):
        assert key in doc


def test_markdown_report_sections_escaping_and_stability() -> None:
    out = render(make_result(), "markdown")
    assert out == render(make_result(), "markdown")
    for heading in ("# Compliance status", "**Date**: 2026-01-25", "## Questions answered",
                    "## Compliance matrix", "## Gaps", "## Pre-launch checklist", "## Overall assessment"):
        assert heading in out, heading
    assert "| Requirement | In Docs? | In Code? | Tested? | Working? |" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "a \\| b \\`tick\\`" in out
    assert "- [ ] Periodic Checkpoints" in out
    assert "Call `save()` in the loop." in out  # the remedy is the rule author's markdown
    assert "NOT READY" in out


def test_explain_prints_every_citation() -> None:
    res = make_result()
    out = render_explain(res.rules[0])
    assert "periodic-checkpoints" in out and "Why it matters." in out
    assert ".cursorrules:12" in out and "train.py:40-41" in out
    assert "interval_s: 50.0" in out
    assert "Call `save()` in the loop." in out


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render(make_result(), "pdf")


from hypothesis import assume, given, settings, strategies as st  # noqa: E402

from auditor.render.markdown import md_escape  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_md_escape_leaves_no_table_breaking_or_html_characters(text: str) -> None:
    out = md_escape(text)
    assert "\n" not in out and "<" not in out and ">" not in out
    # every pipe and backtick is preceded by an odd run of backslashes (escaped)
    for i, ch in enumerate(out):
        if ch in "|`":
            run = len(out[:i]) - len(out[:i].rstrip("\\"))
            assert run % 2 == 1, (text, out)


from auditor.render.markdown import md_code  # noqa: E402

_printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1)


@settings(max_examples=200, deadline=None)
@given(_printable)
def test_md_code_renders_exactly_the_text_in_one_code_span(text: str) -> None:
    """A path or location in a code span reads back as written: backticks, `&`, `<` and
    backslashes included (escapes and entities mean nothing inside a code span)."""
    from markdown_it import MarkdownIt

    expected = " ".join(text.split())  # one line: runs of whitespace read as one space
    assume(expected)
    tokens = MarkdownIt("commonmark").parseInline(f"see {md_code(text)} here")[0].children
    spans = [t for t in tokens if t.type == "code_inline"]
    assert len(spans) == 1, (text, md_code(text), tokens)
    assert spans[0].content == expected
