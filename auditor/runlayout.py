"""The run-directory contract of docs/run-directory.md as the auditor reads it: file names and
formats of a run written by this project's trainer.

The auditor never imports magvit, so the contract is written here once for the auditor;
tests/auditor/test_runlayout.py holds it equal to the trainer's `magvit/rundir.py`. Runs of
other projects are read by the configured patterns instead.
"""

CHECKPOINT_FORMAT = "magvit-checkpoint/1"
MANIFEST_FORMAT_PREFIX = CHECKPOINT_FORMAT.rsplit("/", 1)[0] + "/"  # any version of the manifest format

CHECKPOINTS_DIR = "checkpoints"
EVENTS_FILE = "events.jsonl"
PROGRESS_JSON = "progress.json"
PROGRESS_TXT = "PROGRESS.txt"
TRAIN_LOG = "train.log"
