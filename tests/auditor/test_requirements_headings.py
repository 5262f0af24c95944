"""A heading names a topic; by itself it states nothing about the project. '## Heartbeat' over a
paragraph that never says the project has one, or '## Does the job still live?' (a question), is
no ✅: the section's sentences decide. When one of them states the requirement, the passage is
stated (and cited from its heading, where it begins). Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def found(requirement: str, text: str):
    return find(requirement, statements("README.md", text))


@pytest.mark.parametrize("requirement, text", [
    ("heartbeat", "# Tool\n\n## Heartbeat\n\nThere is none yet; see issue 12.\n"),
    ("heartbeat", "## Keep-alive\n\nAsk on the chat channel if a job looks wrong.\n"),
    ("heartbeat", "## Does the job still live? Is it still alive?\n\nLook at the loss curve now and then.\n"),
    ("tdd-process", "## Test-driven development\n\nWe may try it one day.\n"),
])
def test_a_heading_alone_states_nothing(requirement, text):
    hit = found(requirement, text)
    assert hit is None or hit.level != STATED


@pytest.mark.parametrize("requirement, text, lines", [
    ("heartbeat", "# Tool\n\n## Liveness\n\nA background thread touches `alive.txt` every 20 seconds.\n", (3, 5)),
    ("heartbeat", "## Monitoring\n\nThe trainer appends a heartbeat line to hb.log every 30 s.\n", (3,)),
    ("tdd-process", "## Test first\n\nWrite the failing test before the code, then make it pass.\n", (1, 3)),
    ("heartbeat", "## Heartbeat\n\n### Details\n\nA thread rewrites `beat.txt` every 15 s so a hung job shows.\n",
     (1, 5)),
])
def test_a_section_whose_sentences_state_it_is_stated(requirement, text, lines):
    hit = found(requirement, text)
    assert hit is not None and hit.level == STATED and hit.line in lines


def test_a_heading_over_another_sections_statement_is_not_it():
    text = ("## Heartbeat\n\nNot written yet.\n\n## Checkpoints\n\nA heartbeat line goes to hb.log every 30 s.\n")
    hit = found("heartbeat", text)
    assert hit is not None and hit.level == STATED and hit.line == 7
