"""A mechanism the document says is not in use documents nothing: a heartbeat module called a
leftover or dead code, a keep-alive thread that 'is never started' or 'isn't switched on yet'
(in a clause after 'but', or in the next sentence: 'Nothing launches it.'). Near misses stay
stated: a signal nothing reads yet is still written, a save 'not used for evaluation' still
happens, and dead code beside the mechanism ('replaces the old script, which is dead code') is not
the mechanism. Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text", [
    ("heartbeat", "A keep-alive thread lives in `jobs/alive.py`, but it is never started."),
    ("heartbeat", "The liveness pinger in `ops/ping.py` is a leftover of the old queue system."),
    ("heartbeat", "There is a heartbeat class in utils, but it isn't enabled yet."),
    ("heartbeat", "`cluster/beat.py` (a heartbeat writer) is dead code."),
    ("heartbeat", "We wrote a heartbeat thread for the cloud runner. Nothing launches it today."),
    ("heartbeat", "## Heartbeat\n\nThe heartbeat module is obsolete and stays unused.\n"),
    ("periodic-checkpoints", "A timer that saves a checkpoint every 2 minutes exists, but it is not switched on."),
])
def test_a_mechanism_said_not_to_be_in_use_is_not_stated(requirement, text):
    assert level(requirement, text) != STATED


@pytest.mark.parametrize("requirement, text", [
    ("heartbeat", "A heartbeat thread is started with training and touches `hb.txt` every 20 s, but nothing reads it yet."),
    ("heartbeat", "The heartbeat replaces the old watchdog script, which is now dead code."),
    ("heartbeat", "A keep-alive thread refreshes alive.txt every 10 s; it is not switched off during evaluation."),
    ("heartbeat", "We wrote a heartbeat thread that train.py starts. Nothing else is needed."),
    ("periodic-checkpoints", "Checkpoints are written every 2 minutes, but they are not used for evaluation."),
    # the words said of something else in the clause, not of the mechanism
    ("periodic-checkpoints", "Checkpoints are saved every 2 minutes and unused ones are deleted after a day."),
    ("heartbeat", "A heartbeat file is touched every 30 s and leftover files from old runs are removed."),
    ("periodic-checkpoints", "Checkpoints are written every 500 steps with the new writer and obsolete formats get converted."),
])
def test_a_mechanism_in_use_beside_such_words_is_still_stated(requirement, text):
    assert level(requirement, text) == STATED
