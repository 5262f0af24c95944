#!/usr/bin/env python
"""Regenerate tests/corpus/hf_json: its JUnit file (the project's own pytest run, one test
of which fails since transformers started printing log values as strings), then a run as
its README says: start the job, SIGKILL it after two epoch checkpoints, wait a downtime,
and continue it the README's way (explicit --resume_from_checkpoint with the newest
checkpoint), appending to outputs/train.log. Finally record every file's mtime.

Run with the side virtual environment: /work/sidevenv/bin/python tests/corpus/_make/hf_json.py
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "hf_json"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "hf_json.json"
CONFIG = "configs/train_args.json"
DOWNTIME_S = 20
# as a batch job's environment would: unbuffered output, and no carriage-return progress bars
# (transformers' 'Writing model shards') in the captured log
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1",
          HF_HUB_DISABLE_PROGRESS_BARS="1")


def clean():
    for name in ("outputs", "test-results", ".pytest_cache"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run(
        ["nice", "-n", "10", sys.executable, "-m", "pytest", "tests", "--junitxml=test-results/results.xml",
         "-p", "no:cacheprovider"],
        cwd=PROJECT, env=ENV, check=False,
    )
    if not (PROJECT / "test-results" / "results.xml").is_file():
        sys.exit("pytest wrote no JUnit file")


def start(*extra):
    log = open(PROJECT / "outputs" / "train.log", "ab")  # tee -a outputs/train.log
    return subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "train.py", CONFIG, *extra],
        cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, env=ENV,
    )


def finished_checkpoints():
    found = [p for p in (PROJECT / "outputs").glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    return sorted(found, key=lambda p: int(re.search(r"(\d+)$", p.name).group(1)))


def write_mtimes():
    mtimes = {}
    for path in sorted(PROJECT.rglob("*")):
        # expected.yaml is our label, not part of the project's own files
        if path.is_file() and "__pycache__" not in path.parts and path.name != "expected.yaml":
            mtimes[path.relative_to(PROJECT).as_posix()] = path.stat().st_mtime
    MTIMES.write_text(json.dumps(mtimes, indent=1, sort_keys=True) + "\n")


def main():
    clean()
    run_tests()
    (PROJECT / "outputs").mkdir()
    first = start()
    while len(finished_checkpoints()) < 2:
        if first.poll() is not None:
            sys.exit(f"first session ended early with {first.returncode}")
        time.sleep(0.5)
    time.sleep(12)  # die in the middle of the third epoch
    first.send_signal(signal.SIGKILL)
    first.wait()
    newest = finished_checkpoints()[-1]
    print("killed; newest checkpoint", newest.name)
    time.sleep(DOWNTIME_S)
    second = start("--resume_from_checkpoint", f"outputs/{newest.name}")
    if second.wait() != 0:
        sys.exit(f"second session failed with {second.returncode}")
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
    write_mtimes()
    print("done:", sorted(p.name for p in (PROJECT / "outputs").iterdir()))


if __name__ == "__main__":
    main()
