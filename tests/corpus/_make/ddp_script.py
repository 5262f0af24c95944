"""Regenerate holdout/ddp_script's run folder (run/).

    /work/sidevenv/bin/python /work/holdout/_make/ddp_script.py            # the run
    /work/sidevenv/bin/python /work/holdout/_make/ddp_script.py --mtimes-only

1. The README's command, through a shell as the README writes it:
   `mkdir -p run && TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 torchrun --standalone --nproc_per_node=2 --max-restarts=3 train.py
   --snapshot-period 70 --fetch-delay 0.015 2>&1 | tee -a run/train.log`
   (a 70 s snapshot period and ~0.5 s per step so that the run lasts real minutes).
2. 10 s after the log shows its second snapshot, SIGKILL to the rank-1 worker process (found
   under this shell by its RANK=1 environment); torchrun's agent tears the group down and
   restarts it (--max-restarts=3), every rank loads run/snapshot.pt, and the job runs to the
   end.
3. Every file under the project with its mtime into _mtimes/ddp_script.json.
The project has no tests, so there is no JUnit file to make.
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
PROJECT = HOLDOUT / "ddp_script"
MTIMES = HOLDOUT / "_mtimes" / "ddp_script.json"
RUN = PROJECT / "run"
TORCHRUN = str(Path(sys.executable).with_name("torchrun"))
SHELL_COMMAND = (f"mkdir -p run && TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 {TORCHRUN} --standalone --nproc_per_node=2 --max-restarts=3 "
                 "train.py --snapshot-period 70 --fetch-delay 0.015 2>&1 | tee -a run/train.log")
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def snapshots_logged():
    log = RUN / "train.log"
    return log.read_text().count("snapshot saved") if log.exists() else 0


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def worker_with_rank(shell_pid, rank):
    for pid in descendants(shell_pid):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in environ and any(
                e.startswith(b"TORCHELASTIC_RESTART_COUNT=") for e in environ):
            return pid
    return None


def run_job():
    shutil.rmtree(RUN, ignore_errors=True)
    shell = subprocess.Popen(["nice", "-n", "10", "bash", "-c", SHELL_COMMAND], cwd=PROJECT,
                             env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 400
    while snapshots_logged() < 2:
        if shell.poll() is not None or time.time() > deadline:
            raise SystemExit("the job ended before two snapshots")
        time.sleep(0.5)
    time.sleep(10)
    victim = worker_with_rank(shell.pid, 1)
    if victim is None:
        raise SystemExit("no rank-1 worker found")
    os.kill(victim, signal.SIGKILL)
    print(f"SIGKILL to rank-1 worker pid {victim}")
    if shell.wait(timeout=480) != 0:
        raise SystemExit("the job failed, see run/train.log")
    print(f"job finished; {snapshots_logged()} snapshots logged")


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_job()
    record_mtimes()
