#!/usr/bin/env python
"""Regenerate tb_fire's JUnit file and its run folder (runs/tiny), then record every file's mtime.

    /work/sidevenv/bin/python /work/holdout9/_make/tb_fire.py               # tests + run
    /work/sidevenv/bin/python /work/holdout9/_make/tb_fire.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml` (pytest.ini leaves
   the `slow` resume test out, so the JUnit file has no result for it).
2. The README's training command, `python train.py train --run_dir runs/tiny --io_delay 0.3`.
   12 s after ckpt/latest names step_000240 the process gets a real SIGKILL. After 15 s of
   downtime the README's recovery command runs: the same command with `--resume` added; it
   finishes at step 600. The trainer writes runs/tiny/train.log itself (a FileHandler), so the
   terminal output is thrown away.
3. Every file under the project (but expected.yaml, our label) with its mtime into
   _mtimes/tb_fire.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "tb_fire"
MTIMES = HOLDOUT / "_mtimes" / "tb_fire.json"
RUN = PROJECT / "runs" / "tiny"
COMMAND = ["train.py", "train", "--run_dir", "runs/tiny", "--io_delay", "0.3"]
KILL_AFTER = "step_000240"
KILL_DELAY_S = 12
DOWNTIME_S = 15


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean_caches():
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache, ignore_errors=True)


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def start(extra=()):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, *COMMAND, *extra], cwd=PROJECT,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def latest():
    pointer = RUN / "ckpt" / "latest"
    return pointer.read_text().strip() if pointer.exists() else None


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    first = start()
    deadline = time.time() + 300
    while latest() != KILL_AFTER:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("session 1 ended before its step_000240 checkpoint")
        time.sleep(0.2)
    time.sleep(KILL_DELAY_S)
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("SIGKILL sent; checkpoints:", sorted(p.name for p in (RUN / "ckpt").glob("step_*")))
    time.sleep(DOWNTIME_S)
    second = start(["--resume"])
    if second.wait() != 0:
        raise SystemExit(f"session 2 failed with {second.returncode}, see {RUN / 'train.log'}")
    print("done:", sorted(p.name for p in (RUN / "ckpt").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and "__pycache__" not in rel.parts and rel.as_posix() != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean_caches()
        run_tests()
        run_training()
        clean_caches()
    record_mtimes()
