"""The drill's text for a person: the kills, then each check with its evidence."""

from __future__ import annotations

from auditor.drill.observations import position_text
from auditor.drill.result import DrillResult
from auditor.model import FAIL, PASS, SKIP
from auditor.render.outcomes import mark, passed_word


def render_drill(result: DrillResult) -> str:
    """The checklist a person reads: kills, then each check with its evidence."""
    obs = result.observations
    lines = ["", f"{'kill':<5} {'t (s)':>7}  {'mode':<13} {'at':<11} {'newest valid on disk':<28} restart resumed from"]
    restarts = {k.index: s for k, s in obs.restarts()}
    for k in obs.kills:
        newest = k.newest_valid()
        resumed = restarts.get(k.index)
        shown = resumed.resumed_file if resumed and resumed.resumed_file else (
            "(fresh start)" if resumed and resumed.started_fresh else "(inferred)" if resumed else "-")
        mode = k.mode + ("*" if k.during_write else "")
        lines.append(f"{k.index:<5} {k.t_s:>7.2f}  {mode:<13} {position_text(obs.unit, k.position):<11} "
                     f"{(newest.name if newest else '(none)'):<28} {shown}")
    if any(k.during_write for k in obs.kills):
        lines.append("* landed while a checkpoint write was in progress")
    lines.append("")
    for c in result.checks:
        lines.append(f"{mark(c.verdict)} {c.title} [{c.id}]")
        lines += [f"     {line}" for line in c.evidence]
    lines.append("")
    lines.append(f"drill {passed_word(result.passed)}: "
                 f"{sum(c.verdict == PASS for c in result.checks)} passed, "
                 f"{sum(c.verdict == FAIL for c in result.checks)} failed, "
                 f"{sum(c.verdict == SKIP for c in result.checks)} skipped")
    return "\n".join(lines)
