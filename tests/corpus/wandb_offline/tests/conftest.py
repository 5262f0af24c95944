import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["WANDB_MODE"] = "disabled"   # never talk to W&B from CI


@pytest.fixture
def cfg(tmp_path):
    return {"ckpt_dir": str(tmp_path / "ckpt"), "max_steps": 40, "log_every": 10,
            "eval_every": 20, "save_every_secs": 3600}
