"""Regenerate holdout/rl_loop's JUnit file and its run folder (runs/grid5).

    /work/sidevenv/bin/python /work/holdout/_make/rl_loop.py            # tests + run
    /work/sidevenv/bin/python /work/holdout/_make/rl_loop.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=test-reports/junit.xml`.
   (tdd/heartbeat/*.xml were recorded by hand while the heartbeat was written test-first.)
2. The README's command `python -m gridrl.train --run-dir runs/grid5`, with
   `--reset-delay 2.2 --step-delay 0.02` so that 30 episodes take real minutes; SIGKILL 10 s
   after ckpts/ep_60.pt appears, a 15 s downtime, then the very same command again, which
   resumes by itself (--resume latest is the default) and runs to episode 150.
3. Every file under the project with its mtime into _mtimes/rl_loop.json.
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
PROJECT = HOLDOUT / "rl_loop"
MTIMES = HOLDOUT / "_mtimes" / "rl_loop.json"
RUN = PROJECT / "runs" / "grid5"
COMMAND = [sys.executable, "-m", "gridrl.train", "--run-dir", "runs/grid5",
           "--reset-delay", "2.2", "--step-delay", "0.02"]
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "test-reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=test-reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def run_grid5():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    first = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 360
    while not (RUN / "ckpts" / "ep_60.pt").exists():
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before ep_60.pt")
        time.sleep(0.5)
    time.sleep(10)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"killed pid {first.pid}; down for {DOWNTIME_S} s")
    time.sleep(DOWNTIME_S)
    second = subprocess.run(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if second.returncode != 0:
        raise SystemExit("second session failed, see runs/grid5/train.log")
    print("second session finished:", sorted(p.name for p in (RUN / "ckpts").iterdir()))


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
        run_grid5()
    record_mtimes()
