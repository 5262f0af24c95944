#!/usr/bin/env python
"""Regenerate tests/corpus/lit_python: the project's JUnit file, then a run as its README says
(`python train.py 2>&1 | tee -a outputs/train.log`): start it, SIGKILL it once two timed
checkpoints (one a minute) exist, wait a downtime, start the same command again (fit(ckpt_path=
"last") resumes by itself), and record every file's mtime.

Run with the side virtual environment: /work/sidevenv/bin/python tests/corpus/_make/lit_python.py
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "lit_python"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "lit_python.json"
DOWNTIME_S = 15
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


def clean():
    for name in ("outputs", "test-results", ".pytest_cache"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run(
        ["nice", "-n", "10", sys.executable, "-m", "pytest", "tests", "--junitxml=test-results/junit.xml",
         "-p", "no:cacheprovider"],
        cwd=PROJECT, env=ENV, check=False,
    )
    if not (PROJECT / "test-results" / "junit.xml").is_file():
        sys.exit("pytest wrote no JUnit file")


def start():
    log = open(PROJECT / "outputs" / "train.log", "ab")  # tee -a outputs/train.log
    return subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "train.py"],
        cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, env=ENV,
    )


def timed_checkpoints():
    return sorted((PROJECT / "outputs" / "checkpoints").glob("epoch=*.ckpt"))


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
    while len(timed_checkpoints()) < 2:
        if first.poll() is not None:
            sys.exit(f"first session ended early with {first.returncode}")
        time.sleep(0.5)
    time.sleep(10)  # die between two saves
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("killed after", [p.name for p in timed_checkpoints()])
    time.sleep(DOWNTIME_S)
    second = start()
    if second.wait() != 0:
        sys.exit(f"second session failed with {second.returncode}")
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
    write_mtimes()
    print("done:", [p.name for p in timed_checkpoints()])


if __name__ == "__main__":
    main()
