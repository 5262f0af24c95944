#!/usr/bin/env python
"""Regenerate sk_stream's JUnit file and its run (logs/train.log, metrics.json, models/).

    /work/sidevenv/bin/python /work/holdout8/_make/sk_stream.py            # tests + run
    /work/sidevenv/bin/python /work/holdout8/_make/sk_stream.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. The README's command `python -m skstream.train` with the committed params.yaml (0.6 s feed
   wait per chunk, a snapshot every 120 chunks, 480 chunks). 12 s after the second snapshot
   (chunk_000240.joblib) the process gets a real SIGKILL. After 10 s of downtime it is started
   again as the README's 'After a crash' section says: `python -m skstream.train --resume`.
   Console output is discarded; the logging module's file handler writes logs/train.log.
3. Every file under the project (expected.yaml aside) with its mtime into _mtimes/sk_stream.json.
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
PROJECT = HOLDOUT / "sk_stream"
MTIMES = HOLDOUT / "_mtimes" / "sk_stream.json"
GENERATED = ["reports", "models", "logs", "metrics.json", "metrics.json.tmp"]
DOWNTIME_S = 10
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in GENERATED:
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def start(*args):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "skstream.train", *args],
                            cwd=PROJECT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_training():
    first = start()
    second_snapshot = PROJECT / "models" / "snapshots" / "chunk_000240.joblib"
    deadline = time.time() + 420
    while not second_snapshot.exists():
        if first.poll() is not None or time.time() > deadline:
            sys.exit("session 1 ended before its second snapshot")
        time.sleep(0.5)
    time.sleep(12)
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("SIGKILL sent to", first.pid, "after", sorted(p.name for p in second_snapshot.parent.iterdir()))
    time.sleep(DOWNTIME_S)
    second = start("--resume")
    if second.wait() != 0:
        sys.exit(f"session 2 failed with {second.returncode}")


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.name != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
        clean_caches = [*PROJECT.rglob("__pycache__")]
        for cache in clean_caches:
            shutil.rmtree(cache)
    record_mtimes()
