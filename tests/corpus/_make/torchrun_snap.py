"""Regenerate torchrun_snap's JUnit file and its run folder (runs/demo/).

    /work/sidevenv/bin/python /work/holdout7/_make/torchrun_snap.py             # tests + run
    /work/sidevenv/bin/python /work/holdout7/_make/torchrun_snap.py --mtimes-only

1. The quick tests as CI runs them: `pytest --junitxml=reports/junit.xml` (pytest.ini deselects
   the slow torchrun test).
2. The README's command, `torchrun --standalone --nproc_per_node=1 --max-restarts=3 train.py 30 2
   --run_dir runs/demo --step_delay 0.05`, its output appended to runs/demo/launcher.log (the
   README's `tee -a`). Once six snapshots are logged (epoch 11) and 1.3 s into the next epoch,
   the worker process (torchrun's child running train.py, not torchrun) gets a real SIGKILL;
   torchrun restarts it by itself with the same command and the run finishes at epoch 30.
3. Every file under the project with its mtime into _mtimes/torchrun_snap.json.
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
PROJECT = HOLDOUT / "torchrun_snap"
MTIMES = HOLDOUT / "_mtimes" / "torchrun_snap.json"
RUN = PROJECT / "runs" / "demo"
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))
COMMAND = [TORCHRUN, "--standalone", "--nproc_per_node=1", "--max-restarts=3",
           "train.py", "30", "2", "--run_dir", "runs/demo", "--step_delay", "0.05"]
KILL_AFTER_SAVES = 6
SKIP = {"__pycache__", ".pytest_cache", "expected.yaml"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def log_text():
    files = sorted(RUN.glob("train.log*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    return "".join(p.read_text() for p in files)


def worker_pid(parent):
    for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        if b"train.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return int(pid)
    return None


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    RUN.mkdir(parents=True)
    with open(RUN / "launcher.log", "ab") as out:
        proc = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 400
    while log_text().count("Training snapshot saved") < KILL_AFTER_SAVES:
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("torchrun ended before the kill point")
        time.sleep(0.2)
    time.sleep(1.3)
    # nice execs torchrun, so proc.pid is torchrun itself; its child is the worker
    pid = worker_pid(proc.pid)
    if pid is None:
        raise SystemExit("no worker under torchrun")
    os.kill(pid, signal.SIGKILL)
    print(f"SIGKILL sent to worker pid {pid} at {time.strftime('%H:%M:%S')}")
    if proc.wait(timeout=600) != 0:
        raise SystemExit(f"torchrun exited with {proc.returncode}")


def record_mtimes():
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
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
        run_training()
    record_mtimes()
