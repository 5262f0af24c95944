import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASE_CONFIG = ROOT / "configs" / "base.toml"


def train_command(run_dir, *extra):
    return [sys.executable, "-m", "chronos", "train", "--config", str(BASE_CONFIG),
            "--run-dir", str(run_dir), *extra]


@pytest.fixture
def cli_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture
def run_train(cli_env):
    def _run(run_dir, *extra, timeout=60):
        return subprocess.run(train_command(run_dir, *extra), env=cli_env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    return _run
