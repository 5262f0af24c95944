import logging
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
for sub in ("packages/trainer/src", "packages/data/src"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))

warnings.filterwarnings("ignore", message="torch.distributed is disabled")


@pytest.fixture
def tiny_cfg(tmp_path):
    from trainer.config import RunConfig

    def make(**kw):
        base = dict(run_dir=str(tmp_path / "run"), batch_size=16, hidden=16, total_steps=30,
                    ckpt_every_steps=10, log_every_steps=5)
        base.update(kw)
        return RunConfig(**base)
    return make


@pytest.fixture(autouse=True)
def _info_logs(caplog):
    caplog.set_level(logging.INFO, logger="trainer")
