import os
from pathlib import Path

import pytest
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from src.train import train


def test_train_fast_dev_run(cfg_train: DictConfig) -> None:
    """Run for 1 train, val and test step."""
    HydraConfig().set_config(cfg_train)
    with open_dict(cfg_train):
        cfg_train.trainer.fast_dev_run = True
    metric_dict, _ = train(cfg_train)
    assert "train/loss" in metric_dict


def test_train_writes_a_checkpoint_every_n_steps(tmp_path: Path, cfg_train: DictConfig) -> None:
    """The model_checkpoint callback from configs/callbacks/default.yaml saves on its step interval."""
    HydraConfig().set_config(cfg_train)
    with open_dict(cfg_train):
        cfg_train.trainer.limit_train_batches = 1.0
        cfg_train.trainer.max_steps = 30
        cfg_train.callbacks.model_checkpoint.every_n_train_steps = 10
    train(cfg_train)

    files = set(os.listdir(tmp_path / "checkpoints"))
    assert {"step_000010.ckpt", "step_000020.ckpt", "step_000030.ckpt", "last.ckpt"} <= files
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert last["global_step"] == 30


@pytest.mark.slow
def test_train_resume(tmp_path: Path, cfg_train: DictConfig) -> None:
    """Train 1 epoch, then continue from last.ckpt for a second one."""
    HydraConfig().set_config(cfg_train)
    with open_dict(cfg_train):
        cfg_train.trainer.limit_train_batches = 1.0
        cfg_train.callbacks.model_checkpoint.every_n_train_steps = 50
    _, first = train(cfg_train)
    assert first["trainer"].global_step == 125
    assert "last.ckpt" in os.listdir(tmp_path / "checkpoints")

    with open_dict(cfg_train):
        cfg_train.ckpt_path = str(tmp_path / "checkpoints" / "last.ckpt")
        cfg_train.trainer.max_epochs = 2
    _, second = train(cfg_train)
    assert second["trainer"].global_step == 250
    assert second["trainer"].current_epoch == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_train_gpu(cfg_train: DictConfig) -> None:
    HydraConfig().set_config(cfg_train)
    with open_dict(cfg_train):
        cfg_train.trainer.accelerator = "gpu"
        cfg_train.trainer.fast_dev_run = True
    train(cfg_train)
