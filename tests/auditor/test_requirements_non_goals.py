"""What a document lists under a section that rules things out documents nothing: '## Non-goals',
'## Out of scope', '## Not planned', "## What we won't do", '## Unsupported'. A requirement stated
under another heading, or a section that only mentions goals, is read as before. Sentences written
here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("heading", ["Non-goals", "Out of scope", "Not planned", "What we won't do", "Unsupported",
                                     "Nongoals for v1"])
def test_a_requirement_listed_under_a_ruling_out_heading_is_not_stated(heading):
    text = f"## {heading}\n\n- Periodic checkpoints every 2 minutes.\n- A heartbeat thread touching alive.txt every 30 s.\n"
    assert level("periodic-checkpoints", text) != STATED
    assert level("heartbeat", text) != STATED


@pytest.mark.parametrize("heading", ["Goals", "Checkpoints", "Limitations"])
def test_other_headings_are_read_as_before(heading):
    text = f"## {heading}\n\n- Periodic checkpoints every 2 minutes.\n"
    assert level("periodic-checkpoints", text) == STATED
