"""SARIF 2.1.0 output (`--format sarif`), for GitHub code scanning and other SARIF viewers.

One run; tool.driver.rules holds every rule (id, name, descriptions, help = remedy,
properties.severity). Each applicable cell that is not YES gives one result: level `error`
for NO and ERROR, `warning` for PARTIAL, `note` for NO EVIDENCE, lowered to the rule's
severity (a warning rule never gives an error). Code findings point at the code the probe
cited; docs, test and run findings point at the requirement's line in requirements.md (the
docs citation), since that is the line a person acts on. A waived rule's results carry an
`external` suppression with the justification. Paths are relative to the working
directory when the project lies inside it (what GitHub expects of a checkout), else to the
project root (uriBaseId PROJECTROOT).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from typing import Any

from auditor.model import COLUMN_TITLES, Citation, Verdict
from auditor.results import AuditResult, Gap, RuleResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Verdict.NO: "error", Verdict.ERROR: "error", Verdict.PARTIAL: "warning", Verdict.NO_EVIDENCE: "note"}
_RANK = {"note": 0, "warning": 1, "error": 2}
_CAP = {"error": "error", "warning": "warning", "info": "note"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("magvit-audit")
    except PackageNotFoundError:
        return "0"


def _name(title: str) -> str:
    """A PascalCase name from the title ("Heartbeat Thread" -> "HeartbeatThread")."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", title) if w) or "Rule"


def _descriptor(rr: RuleResult) -> dict[str, Any]:
    rule = rr.rule
    return {
        "id": rule.id,
        "name": _name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": rule.remedy, "markdown": rule.remedy},
        "defaultConfiguration": {"level": _CAP[rule.severity]},
        "properties": {"severity": rule.severity, "gates": list(rule.gates)},
    }


def _is_file(c: Citation) -> bool:
    return c.line is not None and "::" not in c.source and not c.source.startswith(("<", "("))


def _anchor(rr: RuleResult, gap: Gap) -> list[Citation]:
    if gap.column == "code":
        found = [c for c in gap.citations if _is_file(c)]
        if found:
            return found[:1]
    docs = [c for c in rr.cells["docs"].citations if _is_file(c)]
    docs.sort(key=lambda c: c.source != "requirements.md")
    if docs:
        return docs[:1]
    # no line found (drifted or no docs probe): the top of the document the rule cites
    cited = sorted((c.document for c in rr.rule.citations), key=lambda d: d != "requirements.md")
    return [Citation(cited[0], 1)] if cited else []


def _location(result: AuditResult, c: Citation) -> dict[str, Any]:
    project = result.project.replace("\\", "/")
    if posixpath.isabs(project):
        inside = os.path.relpath(project, os.getcwd()).replace("\\", "/")
        project = "" if inside.startswith("..") else inside
    if not project:
        artifact = {"uri": c.source, "uriBaseId": "PROJECTROOT"}
    else:
        artifact = {"uri": posixpath.normpath(posixpath.join(project, c.source)), "uriBaseId": "%SRCROOT%"}
    region: dict[str, Any] = {"startLine": max(c.line or 1, 1)}
    if c.end_line is not None and c.end_line > region["startLine"]:
        region["endLine"] = c.end_line
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _level(rr: RuleResult, gap: Gap) -> str:
    level = _LEVEL.get(gap.verdict, "note")
    cap = _CAP[rr.rule.severity]
    return level if _RANK[level] <= _RANK[cap] else cap


def _result(result: AuditResult, index: int, rr: RuleResult, gap: Gap) -> dict[str, Any]:
    text = f"{rr.rule.title} / {COLUMN_TITLES[gap.column]} {gap.verdict.value.upper()}: {gap.summary}"
    where = [c.location() for c in gap.citations]
    if where:
        text += " (evidence: " + ", ".join(where[:5]) + (", ..." if len(where) > 5 else "") + ")"
    out: dict[str, Any] = {
        "ruleId": rr.rule.id,
        "ruleIndex": index,
        "level": _level(rr, gap),
        "message": {"text": text},
        "locations": [_location(result, c) for c in _anchor(rr, gap)],
        "partialFingerprints": {"auditRuleColumn/v1": f"{rr.rule.id}/{gap.column}"},
        "properties": {"column": gap.column, "verdict": gap.verdict.value},
    }
    if rr.waived:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": rr.waiver.justification}]
    return out


def to_sarif(result: AuditResult) -> dict[str, Any]:
    rules = [_descriptor(rr) for rr in result.rules]
    results = [_result(result, i, rr, gap) for i, rr in enumerate(result.rules) for gap in rr.gaps]
    s = result.summary
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "magvit-audit",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"audit/{s.gate}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"read": result.read, "notRead": list(result.not_read), "date": result.date,
                               "gate": s.gate, "gatePassed": s.gate_passed, "exitReason": result.exit_reason},
            }
        ],
    }


def render_sarif(result: AuditResult) -> str:
    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False) + "\n"
