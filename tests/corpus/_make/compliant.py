"""Regenerate tests/corpus/compliant: its JUnit XML (reports/) and its run (runs/main/).

    /work/sidevenv/bin/python tests/corpus/_make/compliant.py            # tests + run, ~10 min
    /work/sidevenv/bin/python tests/corpus/_make/compliant.py --run-only     # keep reports/
    /work/sidevenv/bin/python tests/corpus/_make/compliant.py --mtimes-only

The tests run as the README says (`python -m pytest --junitxml=reports/junit.xml`). The
run is the README's command (`python -m lumen --run-dir runs/main`, with src/ on the path
as `pip install -e .` would put it), SIGKILL once the log shows two periodic snapshots, a
20 s downtime, then the same command again, which resumes from the newest snapshot on its
own and runs to the end (final snapshot shortly after the last periodic one).
The TDD records under tdd/ are history (the red, green and refactor moments of the
keep-last change) and are left as they are. Then every file under the project is recorded
with its mtime in _mtimes/compliant.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "compliant"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "compliant.json"
RUN = PROJECT / "runs" / "main"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(PROJECT / "src"))


def start():
    return subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "lumen", "--run-dir", "runs/main"],
                            cwd=PROJECT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def periodic_saves():
    log = RUN / "train.log"
    return log.read_text().count("written (periodic)") if log.exists() else 0


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def run():

    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    train = start()
    deadline = time.time() + 400
    while periodic_saves() < 2:
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two periodic snapshots")
        time.sleep(0.2)
    time.sleep(8)  # some work after the second snapshot, which the crash loses
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed pid {train.pid} after {periodic_saves()} periodic snapshots")

    time.sleep(20)  # downtime before the same command is started again

    train = start()
    if train.wait() != 0:
        raise SystemExit("restarted session failed, see runs/main/train.log")
    print(f"restarted session finished; {periodic_saves()} periodic snapshots in the log")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        if "--run-only" not in sys.argv:
            run_tests()
        run()
    record_mtimes()
