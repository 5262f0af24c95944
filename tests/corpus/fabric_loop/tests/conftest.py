import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "exp"


@pytest.fixture
def train_cmd(out_dir):
    def make(*extra):
        return [sys.executable, str(ROOT / "train.py"), "--out-dir", str(out_dir), *extra]
    return make


@pytest.fixture
def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


def run(cmd, env, timeout=240):
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
