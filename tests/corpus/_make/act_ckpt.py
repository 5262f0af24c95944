"""Regenerate act_ckpt's JUnit file and its run folder (runs/tiny/).

    /work/sidevenv/bin/python /work/holdout8/_make/act_ckpt.py                # tests + run
    /work/sidevenv/bin/python /work/holdout8/_make/act_ckpt.py --mtimes-only

1. The tests as CONTRIBUTING.md says (`pytest`), with `--junitxml=test-logs/junit.xml`.
2. The README's command `scripts/launch.sh` (2400 steps, a save every 300 steps) on CPU. Once
   runs/tiny/ckpt/step_000900.pt exists and 6 s more have passed, the training process gets a
   real SIGKILL (launch.sh execs python, so the child is the trainer). After 15 s of downtime
   the README's recovery command `scripts/launch.sh --resume` runs to the end. The trainer
   itself appends to runs/tiny/train.log; stdout is dropped (it is the same lines).
3. Every file under the project (but expected.yaml and caches) with its mtime into
   _mtimes/act_ckpt.json.
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
PROJECT = HOLDOUT / "act_ckpt"
MTIMES = HOLDOUT / "_mtimes" / "act_ckpt.json"
KILL_AFTER = PROJECT / "runs" / "tiny" / "ckpt" / "step_000900.pt"
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    side_bin = str(Path(sys.executable).parent)
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PATH=side_bin + os.pathsep + os.environ["PATH"])


def run_tests():
    shutil.rmtree(PROJECT / "test-logs", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=test-logs/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def launch(*extra):
    return subprocess.Popen(["nice", "-n", "10", "scripts/launch.sh", *extra], cwd=PROJECT,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    first = launch()
    deadline = time.time() + 400
    while not KILL_AFTER.exists():
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before step 900 was saved")
        time.sleep(0.2)
    time.sleep(6)
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("SIGKILL sent; saved:", sorted(p.name for p in KILL_AFTER.parent.iterdir()))
    time.sleep(DOWNTIME_S)
    second = launch("--resume")
    if second.wait() != 0:
        raise SystemExit("resumed session failed")
    print("done:", sorted(p.name for p in KILL_AFTER.parent.iterdir()))


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
        run_tests()
        run_training()
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache, ignore_errors=True)
    record_mtimes()
