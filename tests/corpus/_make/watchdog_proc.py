"""Regenerate watchdog_proc's JUnit file and its run folder (runs/exp01).

    /work/sidevenv/bin/python /work/holdout3/_make/watchdog_proc.py [--mtimes-only]

1. The README's tests: `pytest --junitxml=ci-artifacts/junit-watchdog.xml`.
2. The README's command `nohup python train.py --out runs/exp01 >> runs/exp01/train.out 2>&1`
   (exec'd by bash so the pid is python's); 15 s after the second step-*.pt a real SIGTERM
   (the preemption notice), the handler saves preempt-<step>.pt and exits 143; 30 s of
   downtime; then the README's restart with `--resume runs/exp01/ckpt/preempt-<step>.pt`.
3. Every file under the project with its mtime into _mtimes/watchdog_proc.json.
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
PROJECT = HERE.parent / "watchdog_proc"
MTIMES = HERE.parent / "_mtimes" / "watchdog_proc.json"
RUN = PROJECT / "runs" / "exp01"
PY = Path(sys.executable)
SKIP = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PATH=f"{PY.parent}:{os.environ['PATH']}")


def run_tests():
    shutil.rmtree(PROJECT / "ci-artifacts", ignore_errors=True)
    subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=ci-artifacts/junit-watchdog.xml"], cwd=PROJECT, env=env(), check=True)


def periodic():
    return sorted((RUN / "ckpt").glob("step-*.pt")) if (RUN / "ckpt").exists() else []


def run_demo():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    RUN.mkdir(parents=True)
    first = subprocess.Popen(["bash", "-c", "exec nohup python train.py --out runs/exp01 >> runs/exp01/train.out 2>&1"],
                             cwd=PROJECT, env=env())
    deadline = time.time() + 400
    while len(periodic()) < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two periodic checkpoints")
        time.sleep(0.5)
    time.sleep(15)
    os.kill(first.pid, signal.SIGTERM)
    rc = first.wait(timeout=60)
    preempt = sorted((RUN / "ckpt").glob("preempt-*.pt"))
    print(f"SIGTERM to pid {first.pid}: exit {rc}, {[p.name for p in preempt]}; down for 30 s", flush=True)
    if rc != 143 or len(preempt) != 1:
        raise SystemExit("no preemption save")
    time.sleep(30)
    resume = preempt[0].relative_to(PROJECT).as_posix()
    second = subprocess.run(["bash", "-c", f"exec python train.py --out runs/exp01 --resume {resume} "
                             ">> runs/exp01/train.out 2>&1"], cwd=PROJECT, env=env())
    if second.returncode != 0:
        raise SystemExit("second session failed; see runs/exp01/train.out")
    print("second session done", flush=True)


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
