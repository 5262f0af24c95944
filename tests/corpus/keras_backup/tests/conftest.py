import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def train_cmd(tmp_path):
    run_dir = tmp_path / "run"

    def make(*extra):
        return [sys.executable, str(ROOT / "train.py"), "--run-dir", str(run_dir), *extra]

    make.run_dir = run_dir
    return make


@pytest.fixture
def env():
    return dict(os.environ, KERAS_BACKEND="torch", OMP_NUM_THREADS="1")


def run(cmd, env, timeout=300):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
