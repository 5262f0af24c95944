"""What an older version did, and a practice left to the reader, document nothing.

- 'The old trainer kept a progress.json; this one has no such file': the progress file is the
  previous version's (a contrast, as 'unlike the old script' is).
- 'Whether you write the test before or after the code is up to you', 'red-green is welcome if
  it suits you': test-first is left open, not required.
Near misses stay stated. Sentences written here, not the corpus's.
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text", [
    ("progress-file", "The previous pipeline rewrote status.json every minute; the new one only logs."),
    ("progress-file", "Our legacy script kept a progress.txt current, which we dropped."),
    ("periodic-checkpoints", "The former trainer saved a checkpoint every 2 minutes; this one saves at the end."),
    ("tdd-process", "Write the test first or afterwards, whichever suits you."),
    ("tdd-process", "Whether you write the tests before or after the code is your call."),
    ("tdd-process", "Writing tests first is optional."),
    # held-out gin_rst: test-first welcomed, not asked for (sentences of our own)
    ("tdd-process", "TDD is welcome where it helps you, though no reviewer looks at the order."),
    ("tdd-process", "Go red-green if that suits you; we only check that tests exist and pass."),
    ("tdd-process", "Test-driven work is fine if you like it, but nobody enforces it."),
    ("tdd-process", "We do not ask for the failing test to be written first."),
])
def test_an_old_versions_mechanism_or_an_optional_practice_is_not_stated(requirement, text):
    assert level(requirement, text) != STATED


@pytest.mark.parametrize("requirement, text", [
    ("progress-file", "The trainer rewrites status.json every 30 seconds, as the old one did."),
    ("tdd-process", "Write the failing test first, then the code."),
    ("tdd-process", "Tests come first; optional extras such as benchmarks can follow."),
    ("tdd-process", "Write the failing test first, always; new contributors are welcome."),
])
def test_near_misses_stay_stated(requirement, text):
    assert level(requirement, text) == STATED
