import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_cli(*args, cwd=ROOT, timeout=300):
    """Run `python main.py ...` the way a user would; returns the CompletedProcess."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


@pytest.fixture(scope="session")
def debug_run(tmp_path_factory):
    """One short `fit` with configs/debug.yaml, shared by the tests that only read its outputs."""
    root = tmp_path_factory.mktemp("debug_run")
    run_cli("fit", "--config", str(ROOT / "configs" / "debug.yaml"),
            "--trainer.default_root_dir", str(root))
    return root / "lightning_logs" / "version_0"
