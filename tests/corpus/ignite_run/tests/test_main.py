import re

import pytest
import torch

from utils import Net, get_data_loaders


def test_net_output_shape():
    out = Net()(torch.zeros(5, 20))
    assert out.shape == (5, 4)


def test_data_loaders_batch_shapes():
    train_loader, val_loader = get_data_loaders(32, 256)
    x, y = next(iter(train_loader))
    assert x.shape == (32, 20) and y.shape == (32,)
    assert len(train_loader) == 64 and len(val_loader) == 2


def test_checkpoints_every_n_iterations(train, tmp_path):
    result = train("--epochs", "2", "--checkpoint_every", "32")
    assert result.returncode == 0, result.stderr
    saved = sorted((tmp_path / "out" / "checkpoints").glob("training_checkpoint_*.pt"))
    steps = sorted(int(re.search(r"_(\d+)\.pt$", p.name).group(1)) for p in saved)
    assert steps == [32, 64, 96, 128]
    state = torch.load(saved[0], weights_only=True)
    assert set(state) == {"model", "optimizer", "trainer"}


def test_training_loss_is_logged_every_log_interval(train, tmp_path):
    result = train("--epochs", "1", "--log_interval", "8")
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "out" / "train.log").read_text()
    iterations = [int(i) for i in re.findall(r"Iteration\[(\d+)\] Loss: \d+\.\d+", log)]
    assert iterations == list(range(8, 65, 8))


@pytest.mark.slow
def test_resume_from_checkpoint_continues_iterations(train, tmp_path):
    assert train("--epochs", "2", "--checkpoint_every", "64").returncode == 0
    ckpt = tmp_path / "out" / "checkpoints" / "training_checkpoint_64.pt"
    result = train("--epochs", "4", "--checkpoint_every", "64", "--resume_from", str(ckpt))
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "out" / "train.log").read_text()
    assert "Engine run resuming from iteration 64" in log
    assert (tmp_path / "out" / "checkpoints" / "training_checkpoint_256.pt").exists()
