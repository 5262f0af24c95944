"""Docs probes: is the requirement written down where the rule says it is?"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from auditor.model import Citation, ProbeResult, Verdict, probe


def _field(c: Any, name: str, default: Any = None) -> Any:
    if isinstance(c, Mapping):
        return c.get(name, default)
    return getattr(c, name, default)


@probe("docs.cited")
def cited(ev: Any, citations: Iterable[Any] = ()) -> ProbeResult:
    """yes: every required passage found and at least one found passage states the requirement
    explicitly; partial: found, but only passages that imply it (`implied: true`); no: a required
    passage is no longer in its document (drifted) or the document is missing.

    `citations` are the rule's citations (the engine passes them): objects or mappings with
    document, passage, implied and optional.
    """
    citations = list(citations)
    if not citations:
        return ProbeResult(Verdict.NO_EVIDENCE, "the rule cites no passage")
    found: list[Citation] = []
    missing: list[str] = []
    explicit = False
    for c in citations:
        document, passage = _field(c, "document"), _field(c, "passage")
        implied, optional = bool(_field(c, "implied", False)), bool(_field(c, "optional", False))
        doc = ev.docs.document(document)
        match = ev.docs.find(document, passage)
        if match is None:
            if not optional:
                if doc.error:
                    missing.append(doc.error)
                    continue
                why = "document missing" if not doc.exists else "passage not found (drifted)"
                missing.append(f'{document}: "{passage}" ({why})')
            continue
        explicit = explicit or not implied
        where = f" under \"{match.heading}\"" if match.heading else ""
        kind = "implies it" if implied else "states it"
        found.append(
            Citation(
                source=document,
                line=match.line,
                end_line=match.end_line,
                detail=f"{kind}{where}: {match.excerpt.strip()}",
            )
        )
    if missing:
        return ProbeResult(
            Verdict.NO,
            "not found: " + "; ".join(missing),
            tuple(found),
            {"found": len(found), "missing": len(missing)},
        )
    if not explicit:
        places = ", ".join(c.location() for c in found)
        return ProbeResult(
            Verdict.PARTIAL, f"implied only ({places}); no passage states it explicitly", tuple(found),
            {"found": len(found), "missing": 0},
        )
    places = ", ".join(c.location() for c in found)
    return ProbeResult(Verdict.YES, f"documented at {places}", tuple(found), {"found": len(found), "missing": 0})


@probe("docs.stated")
def stated(ev: Any, requirement: str) -> ProbeResult:
    """yes: a passage of the project's documents states the built-in `requirement` in its own words
    (auditor.evidence.requirements); partial: a passage only implies it; no: no document states it
    ("not documented"), or a neighbouring requirement is documented instead (an interval outside the
    bounds). Every citation is the project's own text at its file:line."""
    from auditor.evidence.requirements import IMPLIED, OTHER, find
    from auditor.resolve import key_hint

    docs = ev.docs
    read = docs.read
    unread = [d.error for d in docs.documents.values() if getattr(d, "error", "")]
    note = f" (not read: {'; '.join(unread[:3])})" if unread else ""
    if not read:
        return ProbeResult(Verdict.NO, f"not documented: the project has no requirement document "
                                       f"(README, requirements*.md, agent rules, docs/; {key_hint('requirements')})"
                                       + note)
    found = find(requirement, docs.statements())
    measured = {"documents": len(read)}
    if found is None:
        return ProbeResult(Verdict.NO, f"not documented: no passage of {', '.join(read[:4])}"
                                       f"{' ...' if len(read) > 4 else ''} states it" + note, (), measured)
    cite = (Citation(found.document, found.line, detail=f"{found.why}: {found.excerpt}"),)
    if found.level == OTHER:
        return ProbeResult(Verdict.NO, f"{found.document}:{found.line} documents {found.why}", cite, measured)
    if found.level == IMPLIED:
        return ProbeResult(Verdict.PARTIAL, f"implied only: {found.document}:{found.line} ({found.why})", cite,
                           measured)
    return ProbeResult(Verdict.YES, f"documented at {found.document}:{found.line} ({found.why})", cite, measured)
