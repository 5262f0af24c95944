#!/usr/bin/env python
"""Regenerate yacs_hooks' JUnit report and its run folder (output/), then record mtimes.

    /work/sidevenv/bin/python /work/holdout10/_make/yacs_hooks.py
    /work/sidevenv/bin/python /work/holdout10/_make/yacs_hooks.py --mtimes-only

1. The tests as CONTRIBUTING.md says: `pytest --junitxml=reports/junit.xml`.
2. The README's command, `python tools/train_net.py --config-file configs/mlp_tiny.yaml`
   (600 iterations, snapshots every 120, about 0.085 s an iteration). Once model_0000239.pth
   is on disk and 2 more seconds have passed, the process gets a real SIGKILL. After 10 s of
   downtime the README's recovery command runs: the same command with `--resume` added. The
   trainer writes output/log.txt itself (appending); its stdout, a copy, is discarded.
3. Every file of the project (expected.yaml excepted) with its mtime into
   _mtimes/yacs_hooks.json.
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
PROJECT = HOLDOUT / "yacs_hooks"
MTIMES = HOLDOUT / "_mtimes" / "yacs_hooks.json"
COMMAND = ["tools/train_net.py", "--config-file", "configs/mlp_tiny.yaml"]
KILL_AFTER = "model_0000239.pth"
DOWNTIME_S = 10
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONUNBUFFERED="1")


def clean_caches():
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def start(*extra):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, *COMMAND, *extra],
                            cwd=PROJECT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_training():
    shutil.rmtree(PROJECT / "output", ignore_errors=True)
    first = start()
    deadline = time.time() + 300
    while not (PROJECT / "output" / KILL_AFTER).exists():
        if first.poll() is not None or time.time() > deadline:
            sys.exit("first session ended before its second snapshot")
        time.sleep(0.2)
    time.sleep(2.0)
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("SIGKILL after", sorted(p.name for p in (PROJECT / "output").glob("*.pth")))
    time.sleep(DOWNTIME_S)
    second = start("--resume")
    if second.wait() != 0:
        sys.exit(f"second session failed with {second.returncode}")
    print("done:", sorted(p.name for p in (PROJECT / "output").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and path.name != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_training()
    clean_caches()
    record_mtimes()
