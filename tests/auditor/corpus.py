"""Corpus projects staged for a test: copied to a temporary folder with their recorded mtimes.

git keeps no modification times, and a copy gets new ones, so tests that read a corpus
project's run folder or TDD records restore the times its generator saw
(tests/corpus/_mtimes/<project>.json) on a copy, as a user's checkout of a real run would have
them. The labels (expected.yaml) are left out: they are ours, not the project's.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def stage(name: str, into: Path) -> Path:
    """A copy of tests/corpus/<name> under `into`, its recorded mtimes restored, without expected.yaml."""
    dest = into / name
    shutil.copytree(CORPUS / name, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "expected.yaml"))
    recorded = CORPUS / "_mtimes" / f"{name}.json"
    if recorded.is_file():
        for rel, mtime in json.loads(recorded.read_text(encoding="utf-8")).items():
            target = dest / rel
            if target.is_file() and not target.is_symlink():
                os.utime(target, (mtime, mtime))
    return dest


def label(name: str, rule: str, column: str) -> dict:
    """One hand label of tests/corpus/<name>/expected.yaml: {verdict, at, why}, the verdict as a string."""
    import yaml

    cell = yaml.safe_load((CORPUS / name / "expected.yaml").read_text(encoding="utf-8"))["cells"][rule][column]
    verdict = cell["verdict"]
    verdict = {True: "yes", False: "no"}.get(verdict, verdict)
    return {**cell, "verdict": str(verdict)}


# Cells of held-out corpus projects (written and labelled by helpers who never ran or read the
# auditor: chronos, recipe_tune and those after them) that the auditor still gets wrong, with why. None may be a false ✅
# (test_corpus_score fails on any); each must still be wrong, and leaves this list once it is right
# (the tests say which). The score counts them wrong.
KNOWN_MISSES: dict[tuple[str, str, str], str] = {
    ("chronos", "progress-file", "working"):
        "status.json keeps only its last write time; the label reads the heartbeat file's lines, written by the "
        "same Reporter.write() call, as a log of status.json's writes (15 s apart). The auditor does not join "
        "the two files and says partial (cadence unmeasured)",
    ("nb_drive", "auto-resume", "working"):
        "the notebook's second 'Run All' records no command line; the label reads its printed configuration, "
        "the same as the first session's and holding no resume setting, as the same start. The auditor does "
        "not take a repeated configuration line for the command (a flag left out of that line would look the "
        "same) and says partial: a resume seen, how it was started unknown",
    ("gin_rst", "progress-file", "working"):
        "status.json keeps only its last updated_at; the label reads heartbeat.txt, whose lines the training loop "
        "writes right after each status write (train.py:82-87), as a log of status.json's writes (5 s apart). As "
        "for chronos, the auditor does not join the two files and says partial (cadence unmeasured)",
    ("sk_stream", "progress-file", "working"):
        "metrics.json at the project root keeps only its last updated_at; the label reads each 'chunk N/480' log "
        "line as one of its writes, because the code rewrites it in the same if-block (train.py:73-82). Nothing in "
        "the run records that: no log line names metrics.json. The auditor does not take another record's times "
        "for the file's and says partial (it exists, its cadence unmeasured)",
    ("yacs_hooks", "auto-resume", "code"):
        "Checkpointer.resume_or_load finds last_checkpoint only `if resume and self.has_checkpoint()`, its resume "
        "a keyword defaulting to True that tools/train_net.py fills from --resume (store_true) through "
        "DefaultTrainer.resume_or_load(resume=resume). The auditor does not read get_checkpoint_file() as a "
        "discovery, and when it did (tried this session) it did not follow the flag through two calls' "
        "parameters and said yes; it says no (nothing looks for checkpoints) where the label says partial",
    ("yacs_hooks", "batch-monitoring", "code"):
        "the metrics printer logs from a hook's after_step, which the trainer calls in its iteration loop through "
        "`for h in self._hooks`. The project has no entry function (tools/train_net.py), so every function "
        "starts at depth 0 and the loop depth is lost: the auditor says partial (a loop, not the per-batch "
        "one) where the label says yes",
    ("yacs_hooks", "heartbeat", "code"):
        "HeartbeatWriter is never registered and no longer counts (no false yes); the auditor still finds "
        "a liveness write in the loop (partial) where the label says no heartbeat at all",
    ("sb3_rl", "checkpoint-interval", "docs"):
        "CONTRIBUTING.md:4 bounds the work a run may lose to 'five minutes of compute away from its newest "
        "checkpoint'; the auditor reads no distance to a checkpoint as an interval and says partial (README's "
        "interval in steps)",
}


def known_miss(name: str, rule: str, column: str) -> str | None:
    """Why the auditor's verdict on this cell is known to differ from its label (None: it must equal it)."""
    return KNOWN_MISSES.get((name, rule, column))
