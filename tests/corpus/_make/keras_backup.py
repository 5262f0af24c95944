"""Regenerate keras_backup's JUnit file and its run folder (artifacts/run1).

    /work/sidevenv/bin/python /work/holdout3/_make/keras_backup.py [--mtimes-only]

1. The README's tests: `KERAS_BACKEND=torch pytest --junitxml=test-reports/pytest.xml`.
2. The README's command `python train.py --run-dir artifacts/run1 >> artifacts/run1/train.log 2>&1`
   (through bash, exec'd so the pid is python's), SIGKILL 10 s after the second
   ModelCheckpoint file appears, 20 s of downtime, then the very same command again;
   BackupAndRestore resumes it and it runs to the end.
3. Every file under the project with its mtime into _mtimes/keras_backup.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "keras_backup"
MTIMES = HERE.parent / "_mtimes" / "keras_backup.json"
RUN = PROJECT / "artifacts" / "run1"
PY = sys.executable
COMMAND = f"exec {PY} train.py --run-dir artifacts/run1 >> artifacts/run1/train.log 2>&1"
SKIP = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, KERAS_BACKEND="torch", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "test-reports", ignore_errors=True)
    subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=test-reports/pytest.xml"], cwd=PROJECT, env=env(), check=True)


def checkpoints():
    return sorted((RUN / "checkpoints").glob("*.keras")) if (RUN / "checkpoints").exists() else []


def run_demo():
    shutil.rmtree(PROJECT / "artifacts", ignore_errors=True)
    RUN.mkdir(parents=True)
    first = subprocess.Popen(["nice", "-n", "10", "bash", "-c", COMMAND], cwd=PROJECT, env=env())
    deadline = time.time() + 400
    while len(checkpoints()) < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two checkpoints")
        time.sleep(0.5)
    time.sleep(10)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"killed pid {first.pid} with {len(checkpoints())} checkpoints; down for 20 s", flush=True)
    time.sleep(20)
    second = subprocess.run(["nice", "-n", "10", "bash", "-c", COMMAND], cwd=PROJECT, env=env())
    if second.returncode != 0:
        raise SystemExit("second session failed; see artifacts/run1/train.log")
    print(f"second session finished; {len(checkpoints())} checkpoints", flush=True)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP.intersection(rel.parts):
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_demo()
    record_mtimes()
