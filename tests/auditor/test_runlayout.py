"""The run-directory contract is the same on both sides: what the trainer writes is what the auditor reads."""

from __future__ import annotations

import auditor.runlayout as audited
import magvit.rundir as written


def test_the_auditor_reads_the_names_and_format_the_trainer_writes() -> None:
    shared = ("CHECKPOINT_FORMAT", "CHECKPOINTS_DIR", "EVENTS_FILE", "PROGRESS_JSON", "PROGRESS_TXT", "TRAIN_LOG")
    assert {name: getattr(audited, name) for name in shared} == {name: getattr(written, name) for name in shared}
    assert written.CHECKPOINT_FORMAT.startswith(audited.MANIFEST_FORMAT_PREFIX)


def test_the_trainer_modules_use_the_one_definition() -> None:
    import magvit.checkpoint
    import magvit.progress
    import magvit.runlock
    import magvit.resume

    assert magvit.checkpoint.CHECKPOINT_FORMAT is written.CHECKPOINT_FORMAT
    assert magvit.resume.CHECKPOINT_FORMAT is written.CHECKPOINT_FORMAT
    assert magvit.checkpoint.UNLOADABLE_DIR is written.UNLOADABLE_DIR
    assert magvit.progress.EVENTS_FILE is written.EVENTS_FILE and magvit.runlock.LOCK_FILE is written.LOCK_FILE
