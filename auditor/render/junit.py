"""JUnit XML output (`--format junit`): one testcase per rule, for CI test-report viewers.

A failing rule of the gate with severity `error` is a <failure> carrying its gaps, their
evidence and the remedy; a waived rule is <skipped> with the justification; a rule whose
waiver expired fails with that reason. Failing rules outside the gate (or of severity
warning/info) pass, with their gaps in <system-out>. No timestamps: the output is a pure,
byte-stable function of the result. Control characters from the project become visible
escapes (`\x07`), so the document stays well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.model import COLUMN_TITLES
from auditor.render.escape import xml_text
from auditor.results import AuditResult, RuleResult


def _evidence(rr: RuleResult) -> str:
    lines = []
    for gap in rr.gaps:
        lines.append(f"{COLUMN_TITLES[gap.column]} {gap.verdict.value.upper()}: {gap.summary}")
        for c in gap.citations:
            detail = c.detail.splitlines()[0] if c.detail else ""
            lines.append(f"  - {c.location()}" + (f": {detail}" if detail else ""))
    lines += ["", "Remedy:", rr.rule.remedy]
    return "\n".join(lines) + "\n"


def _case(suite: ET.Element, rr: RuleResult, gate: str) -> str:
    """Add the rule's testcase; return its outcome: passed, failure or skipped."""
    rule = rr.rule
    case = ET.SubElement(suite, "testcase", {"classname": f"audit.{gate}", "name": rule.id,
                                             "file": rule.path.name, "time": "0"})
    gated = gate in rule.gates
    if rr.waived:
        w = rr.waiver
        ET.SubElement(case, "skipped", {"message": f"waived until {w.expires}: {w.justification}"})
        ET.SubElement(case, "system-out").text = _evidence(rr)
        return "skipped"
    if gated and rr.waiver is not None and rr.waiver_expired:
        fail = ET.SubElement(case, "failure", {"message": f"{rule.title}: waiver expired on {rr.waiver.expires}",
                                               "type": "expired-waiver"})
        fail.text = _evidence(rr) if rr.gaps else "the rule passes; remove its waiver\n"
        return "failure"
    if rr.passed:
        return "passed"
    summary = "; ".join(f"{COLUMN_TITLES[g.column]} {g.verdict.value}" for g in rr.gaps)
    if gated and rule.severity == "error":
        fail = ET.SubElement(case, "failure", {"message": f"{rule.title}: {summary}", "type": "non-compliant"})
        fail.text = _evidence(rr)
        return "failure"
    why = "not in the gate" if not gated else f"severity {rule.severity}"
    ET.SubElement(case, "system-out").text = f"reported only ({why}): {summary}\n" + _evidence(rr)
    return "passed"


def render_junit(result: AuditResult) -> str:
    gate = result.summary.gate
    root = ET.Element("testsuites", {"name": "audit"})
    suite = ET.SubElement(root, "testsuite", {"name": f"audit.{gate}"})
    props = ET.SubElement(suite, "properties")
    for name, value in (("read", result.read), ("not_read", "; ".join(result.not_read)), ("date", result.date),
                        ("project", result.project), ("run_dir", result.run_dir or ""),
                        ("exit_reason", result.exit_reason)):
        ET.SubElement(props, "property", {"name": name, "value": value})
    outcomes = [_case(suite, rr, gate) for rr in result.rules]
    counts = {"tests": len(outcomes), "failures": outcomes.count("failure"), "errors": 0,
              "skipped": outcomes.count("skipped"), "time": "0"}
    for el in (root, suite):
        for k, v in counts.items():
            el.set(k, str(v))
    for el in root.iter():  # XML 1.0 cannot hold C0 control characters, not even as references
        el.text = xml_text(el.text) if el.text else el.text
        for key, value in el.attrib.items():
            el.set(key, xml_text(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
