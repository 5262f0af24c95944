"""The gate's checklist as text: a mark and the evidence per item, then the verdict line."""

from __future__ import annotations

from auditor.gate import GateResult
from auditor.model import PASS
from auditor.render import to_ascii
from auditor.render.outcomes import mark, passed_word


def render_gate(result: GateResult, *, ascii: bool = False) -> str:
    """The checklist with a symbol and the evidence per item, and the verdict line."""
    a = result.audit
    cl = result.checklist
    lines = [f"{cl.title} (gate {cl.gate}) for {a.project}, {a.date}; run: {a.run_dir or 'none'}"]
    lines += [f"  {n}" for n in result.notes]
    lines.append("")
    for item in result.items:
        lines.append(f"{mark(item.status, ascii)} {item.title}")
        lines += [f"     {e}" for ev in item.evidence for e in ev.splitlines()]
    passed = sum(i.status == PASS for i in result.items)
    verdict = passed_word(result.passed)
    tail = "" if result.passed else f"; failing: {', '.join(result.failing)}"
    lines += ["", f"gate {cl.gate}: {verdict} ({passed} of {len(result.items)} items pass{tail}) -> exit {result.exit_code}"]
    out = "\n".join(lines) + "\n"
    return to_ascii(out) if ascii else out
