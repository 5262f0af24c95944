"""In Docs? by meaning: each built-in requirement recognised in the project's own words."""

from __future__ import annotations

import pytest

from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence.requirements import IMPLIED, OTHER, STATED, find, statements
import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict


def level(requirement: str, text: str) -> str | None:
    found = find(requirement, statements("README.md", text))
    return found.level if found else None


@pytest.mark.parametrize("requirement, text, expected", [
    # periodic checkpoints: saved repeatedly during training, in any words
    ("periodic-checkpoints", "Persist state at least every five minutes.", STATED),
    ("periodic-checkpoints", "It persists its whole state on a wall-clock timer during training.", STATED),
    ("periodic-checkpoints", "A folder `out/checkpoint-<step>` is written every `--save_steps` steps.", STATED),
    ("periodic-checkpoints", "Incremental checkpoints (every 1-5 min, max 5 min of lost work)", STATED),
    ("periodic-checkpoints", "The final model is saved to `model.pt`.", IMPLIED),
    ("periodic-checkpoints", "Install it with pip.", None),
    # checkpoint interval: numbers with units
    ("checkpoint-interval", "It saves its state every two minutes.", STATED),
    ("checkpoint-interval", "No more than 5 min of work may be lost: save often.", STATED),
    ("checkpoint-interval", "Checkpoints every 1-5 min.", STATED),
    ("checkpoint-interval", "Checkpoints are written every 2000 steps.", IMPLIED),
    ("checkpoint-interval", "Every `save_every` optimizer steps it writes a checkpoint.", IMPLIED),
    ("checkpoint-interval", "The model is saved every 30 minutes.", OTHER),
    ("checkpoint-interval", "Batches take 2 minutes.", None),
    # progress file
    ("progress-file", "Keep a status file current.", STATED),
    ("progress-file", "The run folder has a `status.json` that is kept current while the job trains.", STATED),
    ("progress-file", "Progress file (updated every 30-60 sec, visible on MacBook)", STATED),
    ("progress-file", "Watch the loss curves in TensorBoard.", IMPLIED),
    ("progress-file", "The loss goes to train.log.", None),
    # batch monitoring
    ("batch-monitoring", "The loss of every optimisation step goes to `train.log`.", STATED),
    ("batch-monitoring", "The script prints the training loss every `log_interval` iterations.", STATED),
    ("batch-monitoring", "The validation loss is logged at the end of each epoch.", IMPLIED),
    ("batch-monitoring", "Batch-level monitoring: print a line every few batches.", STATED),
    # heartbeat
    ("heartbeat", "A liveness signal that does not depend on the training loop.", STATED),
    ("heartbeat", "A watchdog kills the job when its log is stuck for ten minutes.", IMPLIED),
    ("heartbeat", "There is no heartbeat.", None),
    # resume
    ("resume", "After a crash the job carries on from its newest saved state.", STATED),
    ("resume", "Pick up where it left off after a crash.", STATED),
    ("resume", "A checkpoint can be loaded with `load_checkpoint(path)`.", IMPLIED),
    # auto-resume, and its negation
    ("auto-resume", "Restarting it is the very same command as starting it.", STATED),
    ("auto-resume", "After a crash it resumes from the latest checkpoint automatically.", STATED),
    ("auto-resume", "Training does not pick up an old checkpoint by itself: a plain rerun starts from scratch.",
     IMPLIED),
    ("auto-resume", "To continue from the last checkpoint, pass --resume.", IMPLIED),
    # tdd
    ("tdd-process", "We write the test first and watch it fail.", STATED),
    ("tdd-process", "Every change comes with tests.", IMPLIED),
    ("tdd-process", "Run the tests with pytest.", None),
])
def test_requirements_are_recognised_by_meaning(requirement, text, expected):
    assert level(requirement, text) == expected


@pytest.mark.parametrize("requirement, text, expected", [
    # resume: a snapshot is saved state too, and "these files" means what the paragraph saves
    ("resume", "Restarted workers carry on from the most recent snapshot rather than from the beginning.", STATED),
    ("resume", "Weights go to `ckpt/step_N.pt` after every epoch. To carry on from one of these files, name it "
               "in `INIT` and launch again.", STATED),
    ("resume", "To continue, press Enter.", None),
    ("resume", "Nothing here continues from a snapshot.", None),
    # auto-resume: a path handed over by hand, a rerun that starts afresh
    ("auto-resume", "A rerun begins afresh unless you put the checkpoint's path in `CKPT`.", IMPLIED),
    ("auto-resume", "Write the path of the weights into `LOAD_FROM` to carry on; without it the job starts anew.",
     IMPLIED),
    ("auto-resume", "It carries on from the newest checkpoint by itself; nothing has to be passed.", STATED),
    # heartbeat: a file touched on a period, or whose modification time shows a stall
    ("heartbeat", "`out/pulse` is touched after each batch; if its modification time stops changing, the process "
                  "is stuck.", STATED),
    ("heartbeat", "The trainer touches `beat.stamp` every 10 seconds.", STATED),
    ("heartbeat", "Do not touch `config.yaml` while a job runs.", None),
    ("heartbeat", "Please touch base with the team every week.", None),
    # batch monitoring: a log that gets a line per update, in any units; per episode is coarse
    ("batch-monitoring", "`metrics.log` receives a line every `--print-freq` optimizer updates.", STATED),
    ("batch-monitoring", "The console gets one entry per gradient update.", STATED),
    ("batch-monitoring", "The mean reward is printed after each episode.", IMPLIED),
    ("batch-monitoring", "The log file is rotated every day.", None),
    # checkpoint interval: counted in episodes, or once per epoch
    ("checkpoint-interval", "A snapshot is written every `--save-freq` episodes.", IMPLIED),
    ("checkpoint-interval", "The weights are saved after each epoch so that a crash costs one epoch at most.",
     IMPLIED),
    ("checkpoint-interval", "Model state is stored once per epoch.", IMPLIED),
    ("checkpoint-interval", "Each checkpoint file is named by its step.", None),
])
def test_more_phrasings_synonyms_units_and_negations(requirement, text, expected):
    assert level(requirement, text) == expected


def test_a_finding_cites_the_projects_own_line():
    found = find("resume", statements("docs/ops.md", "# Ops\n\nSome intro.\n\n- Retries are fine.\n"
                                                     "- After a crash the job\n  carries on from its newest saved state.\n"))
    assert (found.document, found.line, found.level) == ("docs/ops.md", 7, STATED)
    assert "carries on from its newest saved state" in found.excerpt


def test_code_blocks_are_not_statements():
    assert find("checkpoint-interval", statements("README.md", "```\n# save a checkpoint every 2 minutes\n```\n")) is None


def _evidence(tmp_path, files):
    for rel, text in files.items():
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return Evidence(ProjectConfig(root=tmp_path, requirements=tuple(files)))


def test_not_stated_is_not_documented_never_drifted(tmp_path):
    ev = _evidence(tmp_path, {"README.md": "# A model\n\nTrains a model.\n"})
    r = PROBES["docs.stated"](ev, requirement="heartbeat")
    assert r.verdict == Verdict.NO and "not documented" in r.summary and "drift" not in r.summary
    r = PROBES["docs.stated"](Evidence(ProjectConfig(root=tmp_path)), requirement="heartbeat")
    assert r.verdict == Verdict.NO and "no requirement document" in r.summary and "`requirements`" in r.summary


def test_stated_and_implied_cite_file_and_line(tmp_path):
    ev = _evidence(tmp_path, {"NOTES.md": "Intro.\n\nSaves a checkpoint every 500 steps.\n"})
    r = PROBES["docs.stated"](ev, requirement="checkpoint-interval")
    assert r.verdict == Verdict.PARTIAL and r.citations[0].location() == "NOTES.md:3"
    assert "500 steps" in r.citations[0].detail
    assert PROBES["docs.stated"](ev, requirement="periodic-checkpoints").verdict == Verdict.YES


def test_an_interval_outside_the_bounds_is_no_with_its_passage(tmp_path):
    ev = _evidence(tmp_path, {"README.md": "We checkpoint every 30 minutes.\n"})
    r = PROBES["docs.stated"](ev, requirement="checkpoint-interval")
    assert r.verdict == Verdict.NO and "30 min" in r.summary and r.citations[0].location() == "README.md:1"
