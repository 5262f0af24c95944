from pathlib import Path

import pytest
import torch

from pulsefit.config import load_config
from pulsefit.model import PulseNet

ROOT = Path(__file__).resolve().parents[1]


def test_base_config_loads():
    cfg = load_config(ROOT / "configs" / "base.toml")
    assert cfg.name == "base"
    assert cfg.checkpoint.interval > 0
    assert cfg.data.batch_size == 16


def test_unknown_key_is_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nlearning_rate = 1.0\n')
    with pytest.raises(ValueError, match="learning_rate"):
        load_config(bad)


def test_max_steps_override():
    cfg = load_config(ROOT / "configs" / "base.toml", max_steps=7)
    assert cfg.train.max_steps == 7


@pytest.mark.parametrize("batch", [1, 5])
def test_model_logits_shape(batch):
    out = PulseNet(channels=8, n_classes=4)(torch.randn(batch, 64))
    assert out.shape == (batch, 4)
