"""Regenerate mlflow_track's JUnit file and its reference run (train.log, checkpoints/, mlruns/).

    /work/sidevenv/bin/python /work/holdout9/_make/mlflow_track.py            # tests + run
    /work/sidevenv/bin/python /work/holdout9/_make/mlflow_track.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. The README's training command, run through bash exactly as written (`python train.py
   --ckpt-minutes 1.5 --io-delay-ms 50 --max-steps 6000 2>&1 | tee -a train.log`), with the
   side environment's python first on PATH. 25 s after the second timer checkpoint the
   python process gets a real SIGKILL (tee survives and closes). After 12 s of downtime the
   README's restart instruction is followed: the exact same command, nothing added. It
   reopens the MLflow run from checkpoints/run_state.json and runs to step 6000.
3. Every file under the project with its mtime into _mtimes/mlflow_track.json.
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
PROJECT = HOLDOUT / "mlflow_track"
MTIMES = HOLDOUT / "_mtimes" / "mlflow_track.json"
README_COMMAND = ("python train.py --ckpt-minutes 1.5 --io-delay-ms 50 --max-steps 6000 "
                  "2>&1 | tee -a train.log")
GENERATED = ["reports", "mlruns", "checkpoints", "train.log"]
KILL_AFTER_SECOND_SAVE_S = 25
DOWNTIME_S = 12
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    side_bin = str(Path(sys.executable).parent)
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PATH=f"{side_bin}{os.pathsep}{os.environ['PATH']}")


def clean():
    for name in GENERATED:
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)


def start():
    return subprocess.Popen(["nice", "-n", "10", "bash", "-c", README_COMMAND], cwd=PROJECT,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def training_pid(shell_pid):
    """The python process of the pipeline (bash -c forks python and tee)."""
    for pid in Path(f"/proc/{shell_pid}/task/{shell_pid}/children").read_text().split():
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        if "train.py" in cmd:
            return int(pid)
    return None


def timer_saves():
    log = PROJECT / "train.log"
    return log.read_text().count("checkpoint [timer]") if log.exists() else 0


def run_training():
    first = start()
    deadline = time.time() + 420
    while timer_saves() < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("session 1 ended before its second timer checkpoint")
        time.sleep(0.5)
    time.sleep(KILL_AFTER_SECOND_SAVE_S)
    pid = training_pid(first.pid)
    if pid is None:
        raise SystemExit("no train.py process under the shell")
    os.kill(pid, signal.SIGKILL)
    print(f"SIGKILL sent to pid {pid} at {time.strftime('%H:%M:%S')}")
    first.wait()
    time.sleep(DOWNTIME_S)
    second = start()
    if second.wait() != 0:
        raise SystemExit("session 2 failed, see train.log")
    print("done:", sorted(p.name for p in (PROJECT / "checkpoints").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
    record_mtimes()
