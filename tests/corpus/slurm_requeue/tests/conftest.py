import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def fake_slurm(tmp_path):
    """A PATH entry with an `scontrol` that records its arguments instead of talking to slurmctld."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "scontrol.calls"
    script = bin_dir / "scontrol"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    script.chmod(0o755)
    return {"path": bin_dir, "calls": calls}


@pytest.fixture
def job(tmp_path, fake_slurm):
    """Start `python -u train.py` the way srun does inside jobs/train.sbatch, stdout to a file."""
    ckpt_dir = tmp_path / "scratch" / "ckpt"
    started = []

    class Job:
        def __init__(self):
            self.ckpt_dir = ckpt_dir
            self.out = tmp_path / "job.out"

        def start(self, *flags, restart=0):
            env = dict(os.environ, OMP_NUM_THREADS="1", SLURM_JOB_ID="777",
                       SLURM_RESTART_COUNT=str(restart),
                       PATH=f"{fake_slurm['path']}{os.pathsep}{os.environ['PATH']}")
            cmd = [sys.executable, "-u", "train.py", "--ckpt-dir", str(ckpt_dir), *flags]
            with open(self.out, "a") as out:
                proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                        stderr=subprocess.STDOUT)
            started.append(proc)
            return proc

        def lines(self):
            return self.out.read_text().splitlines() if self.out.exists() else []

    yield Job()
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
