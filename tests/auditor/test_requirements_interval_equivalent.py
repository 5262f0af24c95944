"""A step interval the document turns into wall-clock time is a wall-clock interval: 'every 200
iterations, which works out at about 8 seconds' is no ✅ nor a partial 'steps only' for
checkpoint-interval: it is a period outside 1-5 minutes (no), like 'every 8 seconds'. Within the
bounds ('500 steps, which comes to roughly two minutes') it is stated. A checkpoint interval given
in wall-clock terms anywhere in the documents is not 'never in wall-clock terms': it outranks a
steps-only mention elsewhere. A duration that is not the save interval's (a run's total length, an
epoch's time with no save per epoch) converts nothing. Sentences written here, not the corpus's."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, OTHER, STATED, find, statements


def level(text: str) -> str | None:
    found = find("checkpoint-interval", statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text", [
    "The trainer saves a checkpoint every 200 iterations, which works out at about 8 seconds on one GPU.",
    "Snapshots are written every K updates. With the default K of 50 that amounts to roughly 15 s per save.",
    "- `best.pt` is replaced after every epoch.\n\n"
    "## Snapshots\n\nThe state is saved every N batches. `cfg/small.yaml` sets N to 10, which comes to about "
    "five seconds on a laptop.\n",
    "A checkpoint is stored every 2000 steps; that corresponds to around 40 minutes of training.",
])
def test_a_step_interval_converted_outside_the_bounds_is_other(text):
    assert level(text) == OTHER


@pytest.mark.parametrize("text, expected", [
    ("Checkpoints are written every 500 steps, which comes to roughly two minutes on the reference GPU.", STATED),
    ("Checkpoints are written every 500 steps. The whole run of 8000 steps takes about 20 minutes.", IMPLIED),
    ("Checkpoints are written every 500 steps.", IMPLIED),
    ("The model is saved after every epoch. Training stops after 30 epochs, about 10 minutes.", IMPLIED),
])
def test_durations_that_are_not_the_save_interval_convert_nothing(text, expected):
    assert level(text) == expected
