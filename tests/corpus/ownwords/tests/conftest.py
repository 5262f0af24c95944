import pytest

from kestrel.config import TrainConfig


@pytest.fixture
def tiny_config(tmp_path):
    """A config that trains in a second or two and persists several times on the way."""
    return TrainConfig(out_dir=str(tmp_path / "out"), n_samples=256, hidden=16,
                       max_steps=48, read_latency_s=0.02, persist_every_s=0.25,
                       status_every_s=0.1, log_every=4, keep_states=10)
