import json
import math
import re

import lightning as L
import pytest
import torch

import train
from data import CurveDataModule
from model import CurveRegressor

FAST = ["--num-samples", "320", "--batch-size", "16", "--sample-delay", "0.01"]  # 18 train batches / epoch


def ckpt_steps(folder):
    return sorted(int(m.group(1)) for p in folder.glob("*.ckpt") if (m := re.search(r"step=(\d+)", p.name)))


def test_fast_dev_run():
    trainer = L.Trainer(fast_dev_run=2, accelerator="cpu", enable_progress_bar=False)
    trainer.fit(CurveRegressor(hidden=8), CurveDataModule(num_samples=64, batch_size=8))
    assert trainer.state.finished
    assert math.isfinite(float(trainer.callback_metrics["train_loss"]))


def test_checkpoints_are_written_on_the_time_interval(tmp_path):
    # 0.005 min = 0.3 s between checkpoints; an epoch takes about 3 s
    train.main(["--out", str(tmp_path), "--max-epochs", "1", "--ckpt-every-minutes", "0.005", *FAST])
    folder = tmp_path / "checkpoints"
    steps = ckpt_steps(folder)
    assert len(steps) >= 2, steps
    assert (folder / "last.ckpt").is_file()
    mtimes = sorted(p.stat().st_mtime for p in folder.glob("epoch=*.ckpt"))
    assert all(b - a >= 0.25 for a, b in zip(mtimes, mtimes[1:]))
    # last.ckpt is a copy of the newest timed checkpoint
    saved = torch.load(folder / "last.ckpt", weights_only=False)
    assert saved["global_step"] == steps[-1]


def test_progress_json_tracks_training(tmp_path):
    train.main(["--out", str(tmp_path), "--max-epochs", "1", "--progress-every", "5", *FAST])
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["status"] == "finished"
    assert progress["global_step"] == 18
    assert progress["train_loss"] is not None


def test_rerun_picks_up_last_checkpoint(tmp_path):
    # a zero interval saves after every batch, so the first attempt's last.ckpt is at step 18
    args = ["--out", str(tmp_path), "--ckpt-every-minutes", "0", *FAST]
    train.main([*args, "--max-epochs", "1"])
    first = {p.name for p in (tmp_path / "checkpoints").glob("epoch=*.ckpt")}
    trainer = train.main([*args, "--max-epochs", "2"])
    assert trainer.global_step == 36
    # had it started over, epoch 0 would have been saved again (as epoch=0-step=1-v1.ckpt, ...)
    new = {p.name for p in (tmp_path / "checkpoints").glob("epoch=*.ckpt")} - first
    assert new and all(name.startswith("epoch=1-") for name in new), sorted(new)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_fit_on_gpu(tmp_path):
    trainer = L.Trainer(max_epochs=1, accelerator="gpu", devices=1, default_root_dir=tmp_path)
    trainer.fit(CurveRegressor(), CurveDataModule(num_samples=256))
    assert trainer.state.finished
