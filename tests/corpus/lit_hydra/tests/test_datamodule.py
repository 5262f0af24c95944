import pytest
import torch

from src.data.waves_datamodule import WavesDataModule


def test_waves_datamodule_batches() -> None:
    dm = WavesDataModule(n_samples=500, train_val_test_split=(400, 50, 50), batch_size=16)
    dm.setup()
    assert len(dm.data_train) == 400 and len(dm.data_val) == 50 and len(dm.data_test) == 50
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 32)
    assert y.dtype == torch.int64 and int(y.max()) < 4


def test_split_must_add_up() -> None:
    with pytest.raises(ValueError, match="adds up to 4900"):
        WavesDataModule(n_samples=5000, train_val_test_split=(4000, 500, 400))


def test_split_rejects_negative_part() -> None:
    with pytest.raises(ValueError, match="negative"):
        WavesDataModule(n_samples=5000, train_val_test_split=(5600, -100, -500))
