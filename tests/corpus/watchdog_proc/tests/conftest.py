import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


@pytest.fixture
def train(tmp_path):
    out = tmp_path / "exp"

    def cmd(*extra):
        return [sys.executable, str(ROOT / "train.py"), "--out", str(out), "--loader-delay", "0", *extra]

    cmd.out = out
    return cmd
