"""Regenerate slurm_requeue's JUnit file and its run (logs/tinylm-48213.out, scratch/ckpt/).

    /work/sidevenv/bin/python /work/holdout2/_make/slurm_requeue.py            # tests + run
    /work/sidevenv/bin/python /work/holdout2/_make/slurm_requeue.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=test-logs/junit.xml`.
2. One SLURM job played locally, this script standing in for slurmctld: `bash jobs/train.sbatch
   --loader-delay 0.1 --max-steps 4000` (the extra flags are passed through to train.py, as sbatch
   passes script arguments) with the environment sbatch would give it (SLURM_JOB_ID=48213,
   SLURM_JOB_NAME=tinylm, SCRATCH=<project>/scratch) and its output appended to
   logs/tinylm-48213.out (--output=logs/%x-%j.out, --open-mode=append). `srun` and `scontrol`
   are shims in a temporary folder: srun execs its command, scontrol records the requeue
   request. 25 s after the second timer checkpoint the training process gets a real USR1 (what
   --signal=USR1@90 delivers before the time limit); it saves, requests the requeue and exits.
   After a 20 s wait in the queue the same script runs again with SLURM_RESTART_COUNT=1, the
   same arguments and the same output file, and finishes at step 4000.
3. Every file under the project with its mtime into _mtimes/slurm_requeue.json (latest.pt is a
   symlink; its entry is its target's mtime, so restoring it touches nothing else).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "slurm_requeue"
MTIMES = HOLDOUT / "_mtimes" / "slurm_requeue.json"
JOB_ID = "48213"
OUT = PROJECT / "logs" / f"tinylm-{JOB_ID}.out"
SCRIPT_ARGS = ["--loader-delay", "0.1", "--max-steps", "4000"]
SIDE_BIN = Path(sys.executable).parent
QUEUE_WAIT_S = 20
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "test-logs", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=test-logs/junit.xml"],
                   cwd=PROJECT, env=base_env(), check=True)


def make_shims(folder):
    requests = folder / "requeue.requests"
    (folder / "srun").write_text('#!/bin/sh\nexec "$@"\n')
    (folder / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> "{requests}"\n')
    for name in ("srun", "scontrol"):
        (folder / name).chmod(0o755)
    return requests


def job_env(shims, restart):
    env = base_env()
    env.update(PATH=f"{shims}{os.pathsep}{SIDE_BIN}{os.pathsep}{env['PATH']}",
               SCRATCH=str(PROJECT / "scratch"), SLURM_JOB_ID=JOB_ID, SLURM_JOBID=JOB_ID,
               SLURM_JOB_NAME="tinylm", SLURM_SUBMIT_DIR=str(PROJECT), SLURM_NTASKS="1")
    if restart:
        env["SLURM_RESTART_COUNT"] = str(restart)
    return env


def start_attempt(shims, restart):
    with open(OUT, "a") as out:
        return subprocess.Popen(["nice", "-n", "10", "bash", "jobs/train.sbatch", *SCRIPT_ARGS],
                                cwd=PROJECT, env=job_env(shims, restart), stdout=out,
                                stderr=subprocess.STDOUT)


def children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def training_pid(batch_pid):
    """The job step: the python process under the batch shell (srun execs into it)."""
    for child in children(batch_pid):
        if "train.py" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            return child
    return None


def timer_saves():
    return OUT.read_text().count("checkpoint [timer]") if OUT.exists() else 0


def run_job():
    shutil.rmtree(PROJECT / "logs", ignore_errors=True)
    shutil.rmtree(PROJECT / "scratch", ignore_errors=True)
    (PROJECT / "logs").mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        shims = Path(tmp)
        requests = make_shims(shims)

        first = start_attempt(shims, restart=0)
        deadline = time.time() + 420
        while timer_saves() < 2:
            if first.poll() is not None or time.time() > deadline:
                raise SystemExit("attempt 1 ended before its second timer checkpoint")
            time.sleep(0.5)
        time.sleep(25)
        pid = training_pid(first.pid)
        if pid is None:
            raise SystemExit("no train.py process under the batch script")
        os.kill(pid, signal.SIGUSR1)
        print(f"USR1 sent to pid {pid}")
        first.wait()
        if not requests.exists() or requests.read_text().split() != ["requeue", JOB_ID]:
            raise SystemExit("attempt 1 did not request a requeue")
        print(f"requeue requested; job waits {QUEUE_WAIT_S} s in the queue")
        time.sleep(QUEUE_WAIT_S)

        second = start_attempt(shims, restart=1)
        if second.wait() != 0:
            raise SystemExit(f"attempt 2 failed, see {OUT}")
    print("done:", sorted(p.name for p in (PROJECT / "scratch" / "ckpt").iterdir()))


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
        run_job()
    record_mtimes()
