"""Regenerate gin_rst's JUnit file and its run folder (runs/base/).

    /work/sidevenv/bin/python /work/holdout9/_make/gin_rst.py              # tests + run
    /work/sidevenv/bin/python /work/holdout9/_make/gin_rst.py --mtimes-only

1. The tests as README.rst says (`pytest`), with `--junitxml=test-reports/junit.xml`.
2. The README's command `python -m seqlab --gin_file=configs/base.gin` (90 s SIGALRM saves,
   0.2 s simulated read latency per batch, 1500 steps). 20 s after its second timer
   checkpoint the process gets a real SIGKILL (a pre-empted node). After 15 s of downtime
   the README's restart command runs: the same command plus
   `--gin_param='train.auto_resume = True'`; it finishes at step 1500.
3. Every file under the project with its mtime into _mtimes/gin_rst.json.
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
PROJECT = HOLDOUT / "gin_rst"
MTIMES = HOLDOUT / "_mtimes" / "gin_rst.json"
RUN = PROJECT / "runs" / "base"
COMMAND = [sys.executable, "-m", "seqlab", "--gin_file=configs/base.gin"]
RESTART = COMMAND + ["--gin_param=train.auto_resume = True"]
KILL_AFTER_S = 20
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in ("runs", "test-reports", ".pytest_cache"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=test-reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def timer_saves():
    log = RUN / "train.log"
    return log.read_text().count("checkpoint [timer]") if log.exists() else 0


def run_training():
    first = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 360
    while timer_saves() < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first start ended before its second timer checkpoint")
        time.sleep(0.5)
    time.sleep(KILL_AFTER_S)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"SIGKILL sent to pid {first.pid}; down for {DOWNTIME_S} s")
    time.sleep(DOWNTIME_S)

    second = subprocess.run(["nice", "-n", "10", *RESTART], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if second.returncode != 0:
        raise SystemExit(f"restart failed with {second.returncode}, see {RUN / 'train.log'}")
    print("done:", sorted(p.name for p in (RUN / "ckpt").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
    record_mtimes()
