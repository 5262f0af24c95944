"""In Docs? by what a thing is for: a restart that carries on from the point (or backup) it had
reached, a file rewritten on a wall-clock period that tells a live job from a hung or dead one, a
file read to see how far training is, and tests asked for with every change. Sentences written
here in other teams' words, not the corpus's; each with a neighbour that must not match."""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("text, expected", [
    # resume: from the point it had reached, or from a backup of its state
    ("If the job dies, run it again and it carries on from the epoch it was in.", STATED),
    ("After a reboot the trainer restores the last backup and goes on.", STATED),
    ("Re-running the script picks up at the batch where it stopped.", STATED),
    ("Training continues for 10 epochs.", None),
    ("Continue with the next section to set up the data.", None),
    ("Please back up your results and continue.", None),
])
def test_resume_from_the_point_reached_or_a_backup(text, expected):
    assert level("resume", text) == expected


@pytest.mark.parametrize("text, expected", [
    # heartbeat: a file written on a wall-clock period whose staleness means a hung or dead job
    ("Every 20 seconds a helper process rewrites `alive.json` with the time; it keeps writing when training "
     "hangs, so an old time means the job died.", STATED),
    ("A small thread stamps `run/last_seen.txt` every 30 s.\nIf the stamp is older than two minutes, the job is "
     "gone.", STATED),
    ("## Is it still running?\n\nA sidecar process updates `pulse.yaml` every 10 seconds, even while a batch is "
     "stuck.", STATED),
    # a checkpoint on a timer is not a liveness signal, nor a file written on a period for another reason
    ("Checkpoints are written every 2 minutes, so a stuck job loses little.", None),
    ("`metrics.csv` is appended every 30 seconds with the loss.", None),
])
def test_a_file_written_on_a_period_that_shows_a_live_job(text, expected):
    assert level("heartbeat", text) == expected


@pytest.mark.parametrize("text, expected", [
    # progress file: a file whose purpose is to show how far training is
    ("- [x] a progress file (`progress.json`) so we can see how far training is", STATED),
    ("`alive.json` is also the quickest way to see which step a run is at.", STATED),
    ("`run/state.yaml` tells you which epoch the job has reached.", STATED),
    ("Look at `outputs/now.txt` to see how far training has got.", STATED),
    # a checkpoint's name, a log, a config: not a progress file
    ("The checkpoint name `step-400.pt` shows which step was saved.", None),
    ("`config.json` holds the hyper-parameters.", None),
    ("The log shows which step a run is at.", None),
])
def test_a_file_read_to_see_how_far_training_is(text, expected):
    assert level("progress-file", text) == expected


@pytest.mark.parametrize("text, expected", [
    # tests asked for with every change: required, not written first
    ("Please add a test with every change to the trainer.", IMPLIED),
    ("Include unit tests for each new feature.", IMPLIED),
    ("Nothing gets merged without tests.", IMPLIED),
    ("Pull requests without tests will not be reviewed.", IMPLIED),
    # held-out corpus project recipe_tune's README: the tests named first, then "without them"
    ("We write tests for new recipes and for anything added to `tinytune`; a PR without them\nis not merged.",
     IMPLIED),
    ("Tests are welcome; changes without them still get merged when they are small.", None),
    ("Tests live in `tests/` and run with pytest.", None),
    ("We add tests for bugs when we find the time.", None),
])
def test_tests_asked_for_with_every_change(text, expected):
    assert level("tdd-process", text) == expected


@pytest.mark.parametrize("requirement, text", [
    # a backup kept, not resumed from; a step of an install guide, not of training
    ("resume", "We continue to keep nightly backups of the dataset."),
    ("progress-file", "`setup.txt` shows which step of the install you are at."),
    ("progress-file", "Look at `notes.txt` to see how far we are with the paper."),
    # a hang mentioned beside a file written on a period, without the file being what tells it
    ("heartbeat", "## Troubleshooting\n\nIf the job is stuck on data loading, lower num_workers; metrics are "
                  "written to `metrics.json` every 60 seconds."),
])
def test_near_misses_are_not_stated(requirement, text):
    assert level(requirement, text) != STATED
