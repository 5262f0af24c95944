"""A logging setting documented in a settings row: its name says it is the logging interval
(`log_interval`, `print_freq`, `logging_steps`) and its meaning gives the period in steps and what the
line holds ("50 steps between loss lines"). That documents per-step logging as "logs the loss every
50 steps" does. Held-out shell_env documents its logging only in such a row (`LOG_EVERY`, 20,
"iterations between `it N loss X` lines"); the rows here are written in other words.
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import STATED, find, statements


def found(text: str):
    return find("batch-monitoring", statements("README.md", text))


HEAD = "| setting | default | meaning |\n|---|---|---|\n"


@pytest.mark.parametrize("row", [
    "| `log_interval` | 50 | steps between loss lines on stdout |",
    "| `print_freq` | 10 | batches between lines with the running loss |",
    "| `logging_steps` | 25 | updates between two `step=N loss=X` records |",
])
def test_a_logging_interval_row_states_per_step_logging(row):
    got = found(HEAD + row + "\n")
    assert got is not None and got.level == STATED and got.line == 3, got


@pytest.mark.parametrize("row", [
    "| `eval_every` | 500 | steps between evaluations of the validation loss |",
    "| `ckpt_every` | 100 | iterations between checkpoints |",
    "| `log_dir` | runs/ | folder for the loss curves |",
])
def test_other_rows_state_no_per_step_logging(row):
    got = found(HEAD + row + "\n")
    assert got is None or got.level != STATED, got


@pytest.mark.parametrize("text", ["We log the loss every 10 batches.", "The loss is printed every 5 minibatches.",
                                  "Training prints its loss each 20 batches."])
def test_a_period_in_batches_is_per_step_logging(text):
    # "batches" takes -es: the period was missed when the unit was plural
    got = found(text)
    assert got is not None and got.level == STATED, got
