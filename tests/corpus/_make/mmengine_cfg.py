"""Regenerate mmengine_cfg's JUnit file and its run folder (work_dirs/mlp-3x256_noisysine_8k/).

    /work/sidevenv/bin/python /work/holdout4/_make/mmengine_cfg.py            # tests + run
    /work/sidevenv/bin/python /work/holdout4/_make/mmengine_cfg.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml` (the resume test is
   skipped: TOYREG_SLOW_TESTS is not set, as on the team's CI).
2. The README's train command with the real mmengine 0.10.7 Runner:
   `python tools/train.py configs/mlp-3x256_noisysine_8k.py`. Once last_checkpoint names
   iter_3000.pth, 4 s later the training process gets a real SIGKILL (no handler can run).
   After 20 s the README's restart command runs:
   `python tools/train.py configs/mlp-3x256_noisysine_8k.py --resume` and finishes at 8000.
3. Every file under the project with its mtime into _mtimes/mmengine_cfg.json.
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
PROJECT = HOLDOUT / "mmengine_cfg"
MTIMES = HOLDOUT / "_mtimes" / "mmengine_cfg.json"
CONFIG = "configs/mlp-3x256_noisysine_8k.py"
WORK_DIR = PROJECT / "work_dirs" / "mlp-3x256_noisysine_8k"
KILL_AFTER = "iter_3000.pth"
KILL_DELAY_S = 4
DOWNTIME_S = 20
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def base_env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("TOYREG_SLOW_TESTS", None)
    return env


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=base_env(), check=True)


def launch(*extra):
    return subprocess.Popen([sys.executable, "tools/train.py", CONFIG, *extra], cwd=PROJECT,
                            env=base_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def latest():
    pointer = WORK_DIR / "last_checkpoint"
    return pointer.read_text().strip() if pointer.exists() else ""


def run_training():
    shutil.rmtree(PROJECT / "work_dirs", ignore_errors=True)
    first = launch()
    deadline = time.time() + 420
    while not latest().endswith(KILL_AFTER):
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit(f"session 1 ended before {KILL_AFTER}")
        time.sleep(0.2)
    time.sleep(KILL_DELAY_S)
    os.kill(first.pid, signal.SIGKILL)
    print(f"SIGKILL sent to pid {first.pid}; returncode {first.wait()}")
    time.sleep(DOWNTIME_S)
    second = launch("--resume")
    if second.wait() != 0:
        raise SystemExit("session 2 failed")
    print("done:", sorted(p.name for p in WORK_DIR.iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_training()
    record_mtimes()
