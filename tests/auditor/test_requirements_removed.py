"""A mechanism the document says was removed documents nothing: 'we removed the heartbeat thread in
v2', 'the heartbeat thread has been removed', 'automatic resume was taken out in March', 'we
stopped saving checkpoints every 5 minutes'. Near misses stay stated: what was removed is something
else ('the old cron job was removed; a heartbeat thread now touches alive.txt every 30 s'), or the
removal is of a file the mechanism cleans up ('old checkpoints are deleted, one is saved every
2 minutes'). Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text", [
    ("heartbeat", "We removed the heartbeat thread in v2."),
    ("heartbeat", "The heartbeat thread has been removed."),
    ("auto-resume", "Automatic resume from the newest checkpoint was taken out in March."),
    ("periodic-checkpoints", "We stopped saving checkpoints every 5 minutes."),
    ("progress-file", "The progress.json file was dropped last year; nothing rewrites it now."),
])
def test_a_removed_mechanism_is_not_stated(requirement, text):
    assert level(requirement, text) != STATED


@pytest.mark.parametrize("requirement, text", [
    ("heartbeat", "The old cron job was removed; a heartbeat thread now touches alive.txt every 30 s."),
    ("periodic-checkpoints", "A checkpoint is saved every 2 minutes and old ones are deleted."),
])
def test_near_misses_stay_stated(requirement, text):
    assert level(requirement, text) == STATED
