import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def small_args(tmp_path):
    """train.py arguments for a fit that takes a second or two on a laptop."""
    return [
        "--config", str(ROOT / "config.yaml"),
        "--set", f"run_dir={tmp_path / 'run'}",
        "--set", "data.hours=400",
        "--set", "data.io_ms=0",
        "--set", "train.max_epochs=2",
        "--set", "train.log_every_batches=1",
    ]
