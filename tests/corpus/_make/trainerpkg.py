"""Regenerate tests/corpus/trainerpkg's JUnit file and its run folder (runs/demo).

    /work/sidevenv/bin/python tests/corpus/_make/trainerpkg.py            # tests + run
    /work/sidevenv/bin/python tests/corpus/_make/trainerpkg.py --mtimes-only

1. The project's tests, as its README says: `pytest --junitxml=reports/junit.xml`.
2. The README's command `python -m trainerpkg --config configs/demo.yaml` (the package is put
   on PYTHONPATH instead of being pip-installed into the shared side venv), SIGKILL once the
   log shows two timer saves plus 10 s, a downtime of 75 s (longer than any 60 s heartbeat
   bound), then the very same command again, which auto-resumes and runs to the end.
3. Every file under the project with its mtime into _mtimes/trainerpkg.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "trainerpkg"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "trainerpkg.json"
RUN = PROJECT / "runs" / "demo"
COMMAND = [sys.executable, "-m", "trainerpkg", "--config", "configs/demo.yaml"]
DOWNTIME_S = 75
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(PROJECT / "src"))


def timer_saves():
    log = RUN / "train.log"
    return log.read_text().count("reason=timer") if log.exists() else 0


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def run_demo():
    shutil.rmtree(RUN, ignore_errors=True)
    first = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                             stdout=subprocess.DEVNULL)
    deadline = time.time() + 400
    while timer_saves() < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two timer saves")
        time.sleep(0.5)
    time.sleep(10)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"killed pid {first.pid} after {timer_saves()} timer saves; down for {DOWNTIME_S} s")
    time.sleep(DOWNTIME_S)
    second = subprocess.run(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL)
    if second.returncode != 0:
        raise SystemExit("second session failed, see runs/demo/train.log")
    print(f"second session finished; {timer_saves()} timer saves in the log")


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
        run_demo()
    record_mtimes()
