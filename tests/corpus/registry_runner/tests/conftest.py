import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def run_train(tmp_path):
    """tools/train.py on configs/mlp_toy.py without the read delay, work dir in tmp_path."""

    def _run(*cfg_options, extra=()):
        cmd = [sys.executable, str(ROOT / "tools" / "train.py"), str(ROOT / "configs" / "mlp_toy.py"),
               "--work-dir", str(tmp_path / "work"), *extra, "--cfg-options",
               "train_dataloader.dataset.read_delay=0", "train_dataloader.dataset.num_samples=160",
               *cfg_options]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)

    return _run
