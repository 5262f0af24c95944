"""Phrasings met in the seventh held-out round, written here in other words:

- "saves one every 90 seconds" in a list item that names the checkpoint files: `one` is one of them;
- a training *loss* in a sentence about a progress file is not work lost to a crash (its period
  is no checkpoint interval);
- a log line "per epoch with batch size and steps" is per-epoch logging, not per-batch;
- "there is no separate status or progress file" names none;
- "we don't write tests first" beside "every change comes with a test" requires tests (partial).
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def found(requirement: str, text: str):
    return find(requirement, statements("README.md", text))


def test_one_of_the_listed_checkpoints_saved_on_a_period():
    text = ("- `out/snap_NNNN.pt`: weights and optimizer. The loop writes one every\n"
            "  90 seconds of wall-clock time, and a last one at the end.\n")
    got = found("checkpoint-interval", text)
    assert got is not None and got.level == STATED, got


def test_a_training_loss_is_no_work_lost():
    text = "- `out/status.txt`: step, loss and time, rewritten about every 15 seconds while training runs.\n"
    got = found("checkpoint-interval", text)
    assert got is None, got


@pytest.mark.parametrize("text, level", [
    ("- `out/train.log`: one line per epoch with the batch size, the step count and the mean loss.", IMPLIED),
    ("The loss is logged per batch and summed up per epoch.", STATED),
])
def test_per_epoch_lines_that_mention_batches(text, level):
    got = found("batch-monitoring", text)
    assert got is not None and got.level == level, got


def test_no_separate_progress_file_names_none():
    assert found("progress-file", "There is no separate status or progress file; read the log.") is None


def test_a_denied_test_first_beside_a_test_requirement_is_partial():
    text = ("We don't write tests first here. `tests/test_utils.py` pins down utils.py after the fact; any change\n"
            "to utils.py comes with a test there, and pytest must pass.\n")
    got = found("tdd-process", text)
    assert got is not None and got.level == IMPLIED, got
