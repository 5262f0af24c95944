import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "exp"


@pytest.fixture
def train(run_dir):
    """Run `python train.py --run-dir <tmp> ...` to completion."""
    def run(*flags, timeout=300):
        cmd = [sys.executable, "train.py", "--run-dir", str(run_dir), "--batch-size", "16", *flags]
        return subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def launch(run_dir):
    """Start `python train.py --run-dir <tmp> ...` and return the Popen."""
    started = []

    def start(*flags):
        cmd = [sys.executable, "train.py", "--run-dir", str(run_dir), "--batch-size", "16", *flags]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
