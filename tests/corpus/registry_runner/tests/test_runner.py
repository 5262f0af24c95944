import re
from pathlib import Path

import torch


def test_checkpoint_hook_saves_every_epoch(run_train, tmp_path):
    result = run_train("train_cfg.max_epochs=3")
    assert result.returncode == 0, result.stderr
    work = tmp_path / "work"
    assert sorted(p.name for p in work.glob("epoch_*.pth")) == ["epoch_1.pth", "epoch_2.pth", "epoch_3.pth"]
    assert Path((work / "last_checkpoint").read_text()) == work / "epoch_3.pth"
    meta = torch.load(work / "epoch_2.pth", weights_only=True)["meta"]
    assert meta == dict(epoch=2, iter=20)


def test_logger_hook_logs_every_interval(run_train, tmp_path):
    result = run_train("train_cfg.max_epochs=2", "default_hooks.logger.interval=2")
    assert result.returncode == 0, result.stderr
    log = next((tmp_path / "work").glob("*/*.log")).read_text()
    lines = re.findall(r"Epoch\(train\) \[\d+\]\[\s*\d+/10\].*loss: \d+\.\d+", log)
    assert len(lines) == 5


def test_rerun_resumes_from_last_checkpoint(run_train, tmp_path):
    assert run_train("train_cfg.max_epochs=2").returncode == 0
    result = run_train("train_cfg.max_epochs=4")
    assert result.returncode == 0, result.stderr
    logs = sorted((tmp_path / "work").glob("*/*.log"))
    second = logs[-1].read_text()
    assert f"Auto resumed from the latest checkpoint {tmp_path / 'work' / 'epoch_2.pth'}" in second
    assert "resumed epoch: 2, iter: 20" in second
    assert re.search(r"Epoch\(train\) \[3\]\[\s*10/10\]", second)
    assert not re.search(r"Epoch\(train\) \[1\]", second)
