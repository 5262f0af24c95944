"""More of the ways documents word the requirements (sentences written here, not the corpus's):
an interval named by its option with the default in parentheses, a CSV file that gets a row an
epoch, and a log line described by what it holds (`a step N loss X line every 25 steps`)."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, OTHER, STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text, expected", [
    # an interval named by its option, the default in parentheses
    ("checkpoint-interval", "Weights are saved every `--ckpt-mins` minutes (3 by default) while it trains.", STATED),
    ("checkpoint-interval", "State is persisted every `SAVE_PERIOD` seconds (default: 90).", STATED),
    ("checkpoint-interval", "A snapshot is written every `--snap-min` minutes (defaults to 20).", OTHER),
    ("checkpoint-interval", "Checkpoints are written every `--every` steps (1000 by default).", IMPLIED),
    ("checkpoint-interval", "The log is flushed every `--flush` seconds (5 by default).", None),
    # a CSV log that gets a row an epoch is per-epoch logging
    ("batch-monitoring", "`runs/x/scores.csv` receives one row per epoch with the mean loss.", IMPLIED),
    ("batch-monitoring", "A CSV logger appends a row with the accuracy each epoch.", IMPLIED),
    ("batch-monitoring", "The results table gets one row per experiment.", None),
    # a log line described by what it holds
    ("batch-monitoring", "The job's output has an `iter N lr X loss Y` line every 50 iterations.", STATED),
    ("batch-monitoring", "After the banner comes a `ep E it I loss L` line for each batch.", STATED),
    ("batch-monitoring", "Each run starts with a banner line and ends with a summary line.", None),
])
def test_options_with_defaults_csv_rows_and_lines_described_by_their_fields(requirement, text, expected):
    assert level(requirement, text) == expected
