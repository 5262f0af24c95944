import logging
import os

import pytest

from wbtrain.trainer import train


def test_loss_logged_every_n_steps(cfg, caplog):
    caplog.set_level(logging.INFO, logger="wbtrain")
    assert train(cfg) == 40
    steps = [r.getMessage().split()[1] for r in caplog.records
             if r.getMessage().startswith("step ")]
    assert steps == ["10", "20", "30", "40"]


def test_resume_continues_from_checkpoint(cfg, caplog):
    caplog.set_level(logging.INFO, logger="wbtrain")
    train(cfg)
    caplog.clear()
    cfg["max_steps"] = 60
    assert train(cfg, resume="latest") == 60
    msgs = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("resumed from") and m.endswith("at step 40") for m in msgs)
    assert [m.split()[1] for m in msgs if m.startswith("step ")] == ["50", "60"]


@pytest.mark.skipif(not os.environ.get("SLOW"), reason="slow: set SLOW=1")
def test_timer_checkpoints(cfg, tmp_path):
    cfg.update(save_every_secs=0.5, step_delay=0.05, max_steps=60)
    train(cfg)
    saved = sorted((tmp_path / "ckpt").glob("step_*.pt"))
    assert len(saved) >= 3   # at least two timer saves plus the final one
