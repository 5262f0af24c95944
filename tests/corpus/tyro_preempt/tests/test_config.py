from pathlib import Path

import tyro

from rhea.config import Config


def test_defaults():
    cfg = tyro.cli(Config, args=[])
    assert cfg.ckpt.save_every == 1000
    assert cfg.resume is False
    assert cfg.run_dir == Path("runs/dev")


def test_nested_flags():
    cfg = tyro.cli(Config, args=["--run-dir", "runs/x", "--ckpt.save-every", "25",
                                 "--data.latency-ms", "5", "--resume"])
    assert cfg.run_dir == Path("runs/x")
    assert cfg.ckpt.save_every == 25
    assert cfg.data.latency_ms == 5.0
    assert cfg.resume
