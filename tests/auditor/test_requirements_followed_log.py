"""A log the document says to follow live (`tail -f`, `less +F`, `watch tail`) to see how a run is doing
shows progress another way, without a progress file: the progress-file requirement is implied
(partial), as by a dashboard. Following a log for anything else ('tail -f the server log to debug
a 500') implies nothing, and a progress file kept current is still stated beside a followed log.
Sentences written here, not the corpus's (held-out hydra_plain's README says it in its own words)."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(text: str) -> str | None:
    found = find("progress-file", statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "Run `tail -f logs/train.log` to see how the run is going.",
    "The trainer prints the loss every 50 steps; follow it with `tail -F runs/a/out.log`.",
    "To watch a job, `less +F slurm-1234.out` on the login node shows the latest loss.",
])
def test_a_log_followed_live_implies_it(text):
    assert level(text) == IMPLIED


@pytest.mark.parametrize("text, expected", [
    ("When the API returns a 500, tail -f the nginx error log to debug it.", None),
    ("Use `tail -n 20 train.log` after the job ends to read the final scores.", None),
    ("progress.json is rewritten every 30 seconds; `tail -f train.log` shows the loss too.", STATED),
])
def test_other_mentions_are_what_they_were(text, expected):
    assert level(text) == expected
