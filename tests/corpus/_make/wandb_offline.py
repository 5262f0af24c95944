"""Regenerate wandb_offline's JUnit file and its run (train.log, checkpoints/, wandb/).

    /work/sidevenv/bin/python /work/holdout4/_make/wandb_offline.py            # tests + run
    /work/sidevenv/bin/python /work/holdout4/_make/wandb_offline.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml` (the cache plugin off so
   no .pytest_cache is left behind).
2. The README's command, `WANDB_MODE=offline python -u train.py --config configs/tiny.yaml
   2>&1 | tee -a train.log`, started directly (this script appends its output to train.log in
   place of tee, so the pid is the training process). 20 s after the third timer checkpoint
   ("saved checkpoints/step_...") the process gets a real SIGKILL. After 15 s of downtime the
   README's restart command (the same plus `--resume`) runs to max_steps (5000).
3. Every file under the project with its mtime into _mtimes/wandb_offline.json. The files
   wandb.save put under wandb/offline-run-*/files/checkpoints/ are absolute symlinks to
   checkpoints/; their entries are their targets' mtimes. wandb/latest-run (a symlink to a
   folder) has no entry.
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
PROJECT = HOLDOUT / "wandb_offline"
MTIMES = HOLDOUT / "_mtimes" / "wandb_offline.json"
LOG = PROJECT / "train.log"
FIRST = ["-u", "train.py", "--config", "configs/tiny.yaml"]
RESTART = FIRST + ["--resume"]
KILL_AFTER_SAVES = 3
KILL_DELAY_S = 20
DOWNTIME_S = 15
GENERATED = ["checkpoints", "wandb", "train.log", "reports", ".pytest_cache"]
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in GENERATED:
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=base_env(), check=True)


def start(argv):
    env = dict(base_env(), WANDB_MODE="offline")
    with open(LOG, "a") as out:
        return subprocess.Popen([sys.executable, *argv], cwd=PROJECT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def timer_saves():
    return LOG.read_text().count(" INFO saved checkpoints/") if LOG.exists() else 0


def run_training():
    first = start(FIRST)
    deadline = time.time() + 300
    while timer_saves() < KILL_AFTER_SAVES:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("session 1 ended before its third timer checkpoint")
        time.sleep(0.5)
    time.sleep(KILL_DELAY_S)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"SIGKILL sent to pid {first.pid} at {time.strftime('%H:%M:%S')}")
    time.sleep(DOWNTIME_S)
    second = start(RESTART)
    if second.wait(timeout=420) != 0:
        raise SystemExit(f"session 2 failed, see {LOG}")
    print("done:", sorted(p.name for p in (PROJECT / "checkpoints").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts):
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
    record_mtimes()
