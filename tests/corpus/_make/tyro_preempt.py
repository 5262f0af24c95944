"""Regenerate tyro_preempt's JUnit file and its run folder (runs/wave-a/).

    /work/sidevenv/bin/python /work/holdout9/_make/tyro_preempt.py            # tests + run
    /work/sidevenv/bin/python /work/holdout9/_make/tyro_preempt.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. The README's local launcher command, `RUN_DIR=runs/wave-a bash scripts/requeue.sh
   --max-steps 4200 --data.latency-ms 80` (80 ms per batch: about 83 ms a step, so the
   default --ckpt.save-every 1000 lands about every 83 s).
   - 15 s after the second periodic save the trainer gets a real SIGUSR1 (what the sbatch
     header's --signal=USR1@120 delivers); it saves, exits 99, and the launcher relaunches it
     with --resume (attempt 2).
   - 20 s after attempt 2's first periodic save the trainer gets a real SIGKILL. The launcher
     sees 137 and stops, as the RUNBOOK says it will.
   - After 20 s of downtime the run is restarted as docs/RUNBOOK.md "Hard kills" says: the same
     command with --resume added. It runs to step 4200.
3. Every file under the project (expected.yaml aside) with its mtime into _mtimes/tyro_preempt.json.
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
PROJECT = HOLDOUT / "tyro_preempt"
MTIMES = HOLDOUT / "_mtimes" / "tyro_preempt.json"
RUN_DIR = "runs/wave-a"
LOG = PROJECT / RUN_DIR / "train.log"
FLAGS = ["--max-steps", "4200", "--data.latency-ms", "80"]
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                RUN_DIR=RUN_DIR, PYTHON=sys.executable)


def clean_caches():
    for name in SKIP_DIRS:
        for p in PROJECT.rglob(name):
            shutil.rmtree(p, ignore_errors=True)


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def launch(*extra):
    return subprocess.Popen(["nice", "-n", "10", "bash", "scripts/requeue.sh", *FLAGS, *extra],
                            cwd=PROJECT, env=env())


def trainer_pid(launcher_pid):
    """The python child of the launcher's bash (nice execs into bash)."""
    path = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children")
    for child in path.read_text().split() if path.exists() else []:
        cmd = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
        if "rhea.train" in cmd:
            return int(child)
    return None


def log_text():
    return LOG.read_text() if LOG.exists() else ""


def wait_until(cond, proc, what, timeout=420):
    end = time.time() + timeout
    while not cond():
        if proc.poll() is not None or time.time() > end:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.3)


def run():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    job = launch()
    wait_until(lambda: log_text().count("(periodic)") >= 2, job, "two periodic saves")
    time.sleep(15)
    pid = trainer_pid(job.pid)
    os.kill(pid, signal.SIGUSR1)
    print(f"SIGUSR1 -> {pid}")
    wait_until(lambda: "attempt 2" in log_text() and log_text().count("(periodic)") >= 3,
               job, "attempt 2's first periodic save")
    time.sleep(20)
    pid = trainer_pid(job.pid)
    os.kill(pid, signal.SIGKILL)
    print(f"SIGKILL -> {pid}; launcher exited {job.wait()}")
    time.sleep(20)
    again = launch("--resume")
    rc = again.wait()
    if rc != 0:
        raise SystemExit(f"restart failed with {rc}")
    print("done:", sorted(p.name for p in (PROJECT / RUN_DIR / "ckpt").iterdir()))


def record_mtimes():
    clean_caches()
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.name != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean_caches()
        run_tests()
        clean_caches()
        run()
    record_mtimes()
