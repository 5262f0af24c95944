"""The names of a run directory's files and the formats they carry: docs/run-directory.md.

Defined here once for the trainer; the auditor, which never imports magvit, keeps the same
contract in `auditor/runlayout.py`, and a test holds the two equal.
"""

CHECKPOINT_FORMAT = "magvit-checkpoint/1"
PROGRESS_FORMAT = "magvit-progress/1"
LOCK_FORMAT = "magvit-lock/1"

CHECKPOINTS_DIR = "checkpoints"
CONFIG_FILE = "config.yaml"
EVENTS_FILE = "events.jsonl"
PROGRESS_JSON = "progress.json"
PROGRESS_TXT = "PROGRESS.txt"
TRAIN_LOG = "train.log"
LOCK_FILE = "trainer.lock"
UNLOADABLE_DIR = "unloadable"  # in CHECKPOINTS_DIR: checkpoints set aside at resume (trainer only)
