#!/usr/bin/env python
"""Regenerate sb3_rl's JUnit file and its run (runs/cartpole_ppo/ and train.out).

    /work/sidevenv/bin/python /work/holdout10/_make/sb3_rl.py              # tests + run
    /work/sidevenv/bin/python /work/holdout10/_make/sb3_rl.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. The README's command, `python train.py --config configs/cartpole_ppo.yaml 2>&1 | tee -a
   train.out` (the tee is played by appending the process's output to train.out). 12 s after
   the second CheckpointCallback zip appears, the training process gets a real SIGKILL.
3. After a 20 s downtime, the README's restart command: the same with `--resume` added,
   appended to the same train.out; it runs to total_timesteps.
4. Every file's mtime goes to _mtimes/sb3_rl.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PROJECT = HERE / "sb3_rl"
MTIMES = HERE / "_mtimes" / "sb3_rl.json"
RUN = PROJECT / "runs" / "cartpole_ppo"
COMMAND = ["train.py", "--config", "configs/cartpole_ppo.yaml"]
RESUME = [*COMMAND, "--resume"]
KILL_AFTER_S = 12
DOWNTIME_S = 20
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1",
                PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in ("runs", "reports", "train.out", ".pytest_cache"):
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def start(argv):
    out = open(PROJECT / "train.out", "ab")  # tee -a
    return subprocess.Popen([sys.executable, *argv], cwd=PROJECT, stdout=out,
                            stderr=subprocess.STDOUT, env=env())


def checkpoints():
    return sorted((RUN / "checkpoints").glob("*_steps.zip"), key=os.path.getmtime)


def write_mtimes():
    mtimes = {}
    for path in sorted(PROJECT.rglob("*")):
        if SKIP_DIRS & set(path.parts) or path.name == "expected.yaml":
            continue
        if path.is_file():
            mtimes[path.relative_to(PROJECT).as_posix()] = path.stat().st_mtime
    MTIMES.write_text(json.dumps(mtimes, indent=1, sort_keys=True) + "\n")


def main():
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        first = start(COMMAND)
        while len(checkpoints()) < 2:
            if first.poll() is not None:
                sys.exit(f"first session ended early with {first.returncode}")
            time.sleep(0.2)
        time.sleep(KILL_AFTER_S)
        first.send_signal(signal.SIGKILL)
        first.wait()
        print("SIGKILL after", [p.name for p in checkpoints()], flush=True)
        time.sleep(DOWNTIME_S)
        second = start(RESUME)
        if second.wait() != 0:
            sys.exit(f"second session failed with {second.returncode}")
        for cache in PROJECT.rglob("__pycache__"):
            shutil.rmtree(cache)
        shutil.rmtree(PROJECT / ".pytest_cache", ignore_errors=True)
    write_mtimes()
    print("done:", [p.name for p in checkpoints()])


if __name__ == "__main__":
    main()
