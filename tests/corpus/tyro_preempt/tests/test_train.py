import json
import logging
import re

from rhea.config import CkptConfig, Config, DataConfig
from rhea.train import train


def _cfg(tmp_path, **kw):
    return Config(run_dir=tmp_path / "run", max_steps=60, log_every=10, status_every=10,
                  heartbeat_every=20, ckpt=CkptConfig(save_every=20),
                  data=DataConfig(batch_size=16), **kw)


def test_checkpoints_during_training(tmp_path):
    assert train(_cfg(tmp_path)) == 0
    names = sorted(p.name for p in (tmp_path / "run" / "ckpt").glob("step_*.pt"))
    assert names == ["step_0000020.pt", "step_0000040.pt", "step_0000060.pt"]


def test_status_json_after_run(tmp_path):
    train(_cfg(tmp_path))
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["step"] == 60
    assert status["loss"] < 5


def test_loss_line_every_log_every(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="rhea"):
        train(_cfg(tmp_path))
    steps = [int(m.group(1)) for r in caplog.records
             if (m := re.match(r"step (\d+) loss ", r.getMessage()))]
    assert steps == [10, 20, 30, 40, 50, 60]


def test_loss_goes_down(tmp_path):
    cfg = _cfg(tmp_path)
    cfg.max_steps = 300
    train(cfg)
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["loss"] < 1.0
