"""Phrasings met in the sixth held-out round, written here in other words:

- a JSON-lines log whose record holds the loss averaged over a setting named for its step period
  (`log_every_n_steps`) documents per-step logging;
- a change reviewed or merged only together with a test requires tests (partial for test-first);
- a file the document says is not a progress file is no progress file, even when it holds a step.
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "- `scores.jsonl`: one record per line holding the mean training loss over the last `log_every_n_steps` steps.",
    "The console prints the smoothed loss; the period is `print_every_iters` (10).",
])
def test_a_loss_record_on_a_step_named_setting_is_per_step_logging(text):
    assert level("batch-monitoring", text) == STATED


@pytest.mark.parametrize("text", [
    "A pull request touching the trainer is merged only together with a test that covers it.",
    "Changes to the data loader are approved only along with unit tests for them.",
])
def test_a_change_reviewed_only_with_a_test_requires_tests(text):
    assert level("tdd-process", text) == IMPLIED


@pytest.mark.parametrize("text", [
    "- `best.json`: the lowest validation loss and its step. It is not a progress file: it only changes on a new best.",
    "`summary.json` holds the final step and score; this is not the status file, which the trainer does not keep.",
])
def test_a_file_said_not_to_be_a_progress_file_is_none(text):
    assert level("progress-file", text) is None


def test_a_progress_file_beside_another_file_is_still_stated():
    text = "progress.json is rewritten every 30 seconds; best.json is not a progress file."
    assert level("progress-file", text) == STATED


def test_a_file_named_then_disclaimed_in_the_next_sentence_is_none():
    text = "- `runs/x/status.json`: the lowest validation loss and its step.\n  It is not a progress file: it changes rarely.\n"
    assert level("progress-file", text) is None
