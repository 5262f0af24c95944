"""Regenerate absl_flags' JUnit file and its run folder (runs/base).

    /work/sidevenv/bin/python /work/holdout6/_make/absl_flags.py            # tests + run
    /work/sidevenv/bin/python /work/holdout6/_make/absl_flags.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml` (main_test.py is
   skipped, RUN_E2E is not set).
2. The README's command, `python main.py --workdir=runs/base --config=configs/base.py`,
   with the default config (1500 steps, 180 ms simulated read latency, a checkpoint every
   120 steps, a heartbeat every 30 s). Once the absl log shows six checkpoint saves the
   process gets a real SIGKILL, 10 s after the sixth save so that it dies between two.
   After 15 s of downtime the README's restart command runs: the same command with
   `--resume` added; it runs to step 1500.
3. Every file under the project (expected.yaml excepted: it is the label, written
   afterwards) with its mtime into _mtimes/absl_flags.json. logs/train.INFO is absl's
   symlink to the newest log file; its entry is its target's mtime.
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
PROJECT = HOLDOUT / "absl_flags"
MTIMES = HOLDOUT / "_mtimes" / "absl_flags.json"
WORKDIR = PROJECT / "runs" / "base"
COMMAND = ["main.py", "--workdir=runs/base", "--config=configs/base.py"]
SAVES_BEFORE_KILL = 6
AFTER_SAVE_S = 10
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in ("runs", "reports"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in list(PROJECT.rglob("__pycache__")):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def start(extra=()):
    # nice execs python, so the Popen pid is the training process itself
    return subprocess.Popen(["nice", "-n", "10", sys.executable, *COMMAND, *extra],
                            cwd=PROJECT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def saves():
    logs = WORKDIR / "logs"
    if not logs.is_dir():
        return 0
    return sum(p.read_text().count("Saved checkpoint") for p in logs.glob("train.*.log.INFO.*"))


def run():
    first = start()
    deadline = time.time() + 400
    while saves() < SAVES_BEFORE_KILL:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before its sixth checkpoint")
        time.sleep(0.5)
    time.sleep(AFTER_SAVE_S)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"SIGKILL sent to pid {first.pid} after {saves()} saves")
    time.sleep(DOWNTIME_S)
    second = start(["--resume"])
    if second.wait() != 0:
        raise SystemExit(f"second session failed with {second.returncode}")
    print("done:", sorted(p.name for p in (WORKDIR / "checkpoints").iterdir()))


def record_mtimes():
    for cache in list(PROJECT.rglob("__pycache__")):
        shutil.rmtree(cache)
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.as_posix() != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run()
    record_mtimes()
