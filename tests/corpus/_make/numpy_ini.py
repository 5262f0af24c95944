"""Regenerate numpy_ini's JUnit report and its run (train.log, runs/default/).

    /work/sidevenv/bin/python /work/holdout6/_make/numpy_ini.py            # tests + run
    /work/sidevenv/bin/python /work/holdout6/_make/numpy_ini.py --tests-only   # JUnit only
    /work/sidevenv/bin/python /work/holdout6/_make/numpy_ini.py --mtimes-only

1. The tests as the README says: `python -m pytest --junitxml=reports/junit.xml` from the
   project root.
2. The README's command, `python train.py --config configs/default.ini`, from the project root
   (train.log lands there; snapshots, heartbeat and status.json in runs/default). 30 s after
   its second wall-clock snapshot ("snapshot step N" in train.log) the process gets a real
   SIGKILL. After 15 s of downtime it is started again as the README's "After a crash" section
   says, with the same config plus `--resume`, and runs to max_steps.
3. Every file under the project (expected.yaml excepted: it is our label) with its mtime into
   _mtimes/numpy_ini.json.
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
PROJECT = HOLDOUT / "numpy_ini"
MTIMES = HOLDOUT / "_mtimes" / "numpy_ini.json"
COMMAND = ["train.py", "--config", "configs/default.ini"]
KILL_AFTER_SAVE_S = 30
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in ("runs", "reports"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    (PROJECT / "train.log").unlink(missing_ok=True)
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache, ignore_errors=True)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def start(*extra):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, *COMMAND, *extra], cwd=PROJECT,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def snapshots_logged():
    log = PROJECT / "train.log"
    return log.read_text().count(" snapshot step ") if log.exists() else 0


def run_training():
    first = start()
    deadline = time.time() + 420
    while snapshots_logged() < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("session 1 ended before its second snapshot")
        time.sleep(0.5)
    time.sleep(KILL_AFTER_SAVE_S)
    if first.poll() is not None:
        raise SystemExit("session 1 finished before the kill")
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("SIGKILL sent to pid", first.pid, "after", snapshots_logged(), "snapshots")
    time.sleep(DOWNTIME_S)

    second = start("--resume")
    if second.wait() != 0:
        raise SystemExit(f"session 2 failed with {second.returncode}")
    print("done:", sorted(p.name for p in (PROJECT / "runs" / "default").iterdir()))


def record_mtimes():
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.as_posix() != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--tests-only" in sys.argv:
        # a later change to the tests: refresh the report, keep the run folder as it is
        (PROJECT / "reports" / "junit.xml").unlink(missing_ok=True)
        run_tests()
    elif "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
    record_mtimes()
