"""JSON output; the schema is documented in docs/json-schema.md ("format": "audit-result/1")."""

from __future__ import annotations

import json
import math
from pathlib import PurePath
from typing import Any

from auditor.model import COLUMNS, Citation
from auditor.results import AuditResult, Cell, ColumnCounts

FORMAT = "audit-result/1"


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a measured value (tuples to lists, paths to strings, NaN to null)."""
    if isinstance(value, dict):
        return {str(k): _plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, PurePath):
        return value.as_posix()
    return str(value)


def _citation(c: Citation) -> dict[str, Any]:
    return {"source": c.source, "line": c.line, "end_line": c.end_line, "detail": c.detail}


def _cell(cell: Cell) -> dict[str, Any]:
    return {
        "verdict": cell.verdict.value,
        "summary": cell.summary,
        "probe": cell.probe,
        "citations": [_citation(c) for c in cell.citations],
        "measured": _plain(dict(cell.measured)),
    }


def _counts(c: ColumnCounts) -> dict[str, int]:
    return {
        "yes": c.yes,
        "partial": c.partial,
        "no": c.no,
        "n/a": c.not_applicable,
        "no evidence": c.no_evidence,
        "error": c.error,
        "applicable": c.applicable,
    }


def _waiver(rr: Any) -> dict[str, Any] | None:
    w = rr.waiver
    if w is None:
        return None
    return {"justification": w.justification, "expires": w.expires, "approved_by": w.approved_by,
            "columns": list(w.columns), "expired": rr.waiver_expired}


def to_dict(result: AuditResult) -> dict[str, Any]:
    s = result.summary
    return {
        "format": FORMAT,
        "date": result.date,
        "project": result.project,
        "name": result.name,
        "read": result.read,
        "not_read": list(result.not_read),
        "run_dir": result.run_dir,
        "rules_dir": result.rules_dir,
        "exit_code": result.exit_code,
        "exit_reason": result.exit_reason,
        "summary": {
            "rules": s.rules,
            "columns": {c: _counts(s.columns[c]) for c in COLUMNS},
            "gate": {
                "name": s.gate,
                "rules": s.gated_total,
                "passed": s.gated_passed,
                "failed": list(s.gated_failed),
                "warnings": list(s.warnings),
                "waived": list(s.waived),
                "expired_waivers": [{"rule": rid, "expires": date} for rid, date in s.expired_waivers],
                "pass": s.gate_passed,
            },
            "errors": s.errors,
        },
        "rules": [
            {
                "id": rr.rule.id,
                "title": rr.rule.title,
                "severity": rr.rule.severity,
                "gates": list(rr.rule.gates),
                "file": rr.rule.path.name,
                "passed": rr.passed,
                "waived": rr.waived,
                "waiver": _waiver(rr),
                "cells": {c: _cell(rr.cells[c]) for c in COLUMNS},
                "gaps": [
                    {"column": g.column, "verdict": g.verdict.value, "summary": g.summary}
                    for g in rr.gaps
                ],
                "remedy": rr.rule.remedy,
            }
            for rr in result.rules
        ],
    }


def render_json(result: AuditResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
