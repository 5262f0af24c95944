import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def command(run_dir, *args):
    return [sys.executable, "-m", "gridrl.train", "--run-dir", str(run_dir), *args]


def env():
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "run"


@pytest.fixture
def train(run_dir):
    def _train(*args, timeout=180):
        return subprocess.run(command(run_dir, *args), cwd=ROOT, env=env(), capture_output=True,
                              text=True, timeout=timeout)
    return _train


@pytest.fixture
def launch(run_dir):
    procs = []

    def _launch(*args):
        proc = subprocess.Popen(command(run_dir, *args), cwd=ROOT, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield _launch
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
