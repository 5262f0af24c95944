"""A requirement said *not* to be met is not documented as met: a negated clause ('checkpoints are
not saved periodically', 'we don't keep a status.json current', 'the loss of every step is not
logged', 'we do not practise TDD') is never a ✅, whichever requirement it names. Negations that
bound or sharpen a claim ('no more than 5 min is lost', 'not only at the end', 'no flag is
needed') leave it stated. Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text", [
    ("periodic-checkpoints", "Checkpoints are not saved periodically; only the final model is written."),
    ("checkpoint-interval", "We do not save a checkpoint every 2 minutes."),
    ("progress-file", "We don't keep a `status.json` current."),
    ("progress-file", "There is no progress file that is kept up to date."),
    ("batch-monitoring", "The loss of every step is not logged."),
    ("batch-monitoring", "The loss isn't printed per batch."),
    ("tdd-process", "We do not practise TDD."),
    ("tdd-process", "Nobody here writes the tests first."),
    ("heartbeat", "The trainer never writes a heartbeat."),
])
def test_a_negated_requirement_is_not_stated(requirement, text):
    assert level(requirement, text) != STATED


@pytest.mark.parametrize("requirement, text", [
    ("checkpoint-interval", "No more than 5 min of work may be lost: save often."),
    ("checkpoint-interval", "Nothing is lost: the state is saved every 2 minutes."),
    ("periodic-checkpoints", "Checkpoints are written every 500 steps, not only at the end."),
    ("batch-monitoring", "The loss of every step, not just every epoch, goes to train.log."),
    ("heartbeat", "- [ ] heartbeat so we know the job is still alive (TODO, not done yet)"),
    ("auto-resume", "There is no flag for this: launching the same command again is how you continue."),
    ("tdd-process", "We write the test first, never the code first."),
])
def test_a_negation_that_bounds_a_claim_leaves_it_stated(requirement, text):
    assert level(requirement, text) == STATED


@pytest.mark.parametrize("text", [
    "Nobody has to pass a checkpoint path: it resumes by itself.",
    "After a crash nothing has to be changed; the same command carries on from the newest checkpoint.",
    "No option is needed, it resumes from the latest checkpoint automatically.",
])
def test_the_negations_an_auto_resume_claim_is_made_of_leave_it_stated(text):
    assert level("auto-resume", text) == STATED


@pytest.mark.parametrize("requirement, text", [
    ("periodic-checkpoints", "Unlike the old script, which checkpointed every 2 minutes, this one saves only at the end."),
    ("checkpoint-interval", "The trainer used to save its state every 2 minutes; now it saves once at the end."),
    ("batch-monitoring", "Rather than the loss of every step, only the epoch mean is printed."),
    ("tdd-process", "Unlike the core team, which works test-first, we add tests afterwards."),
])
def test_what_is_set_against_the_project_is_not_stated(requirement, text):
    assert level(requirement, text) != STATED


@pytest.mark.parametrize("requirement, text", [
    ("checkpoint-interval", "Instead of saving only at the end, it checkpoints every 2 minutes."),
    ("periodic-checkpoints", "Rather than one file at the end, checkpoints are written every 500 steps."),
])
def test_the_claim_beside_a_contrast_is_still_stated(requirement, text):
    assert level(requirement, text) == STATED
