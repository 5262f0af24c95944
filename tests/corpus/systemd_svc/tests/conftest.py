import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def svc_env(tmp_path, monkeypatch):
    """A clean service environment rooted in tmp_path (no .env, no systemd)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRAINER_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update(TRAINER_CKPT_DIR=str(tmp_path / "ckpt"), TRAINER_STATE_DIR=str(tmp_path),
               OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    for key in list(os.environ):
        if key.startswith("TRAINER_"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.chdir(tmp_path)
    return env
