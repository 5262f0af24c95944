import math
import time

import torch
from torch.utils.data import DataLoader, TensorDataset, default_collate
import pytorch_lightning as pl


def make_waves(n: int, window: int, seed: int) -> TensorDataset:
    """n windows cut from sums of two sines with random phase, plus noise; target = next sample."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(window + 1, dtype=torch.float32) * 0.1
    f1 = torch.rand(n, 1, generator=g) * 2.0 + 0.5
    f2 = torch.rand(n, 1, generator=g) * 5.0 + 1.0
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    series = torch.sin(f1 * t + phase) + 0.3 * torch.sin(f2 * t)
    series = series + 0.05 * torch.randn(series.shape, generator=g)
    return TensorDataset(series[:, :window], series[:, window])


class SlowCollate:
    """Adds a fixed delay per batch. The lab box reads shards over NFS; this keeps laptop runs
    honest about the step time we see there."""

    def __init__(self, latency_ms: float):
        self.latency_s = latency_ms / 1000.0

    def __call__(self, items):
        if self.latency_s:
            time.sleep(self.latency_s)
        return default_collate(items)


class LitDataModule(pl.LightningDataModule):
    """Synthetic wave windows.

    Args:
        window: must match the model's window.
        n_train: training windows per epoch.
        n_val: validation windows.
        batch_size: windows per batch.
        io_latency_ms: artificial read latency per batch (0 disables it).
        seed: data seed; train and val use seed and seed + 1.
    """

    def __init__(
        self,
        window: int = 32,
        n_train: int = 4096,
        n_val: int = 512,
        batch_size: int = 32,
        io_latency_ms: float = 0.0,
        seed: int = 0,
    ):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage=None):
        hp = self.hparams
        self.train_set = make_waves(hp.n_train, hp.window, hp.seed)
        self.val_set = make_waves(hp.n_val, hp.window, hp.seed + 1)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True,
                          collate_fn=SlowCollate(self.hparams.io_latency_ms))

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=self.hparams.batch_size,
                          collate_fn=SlowCollate(self.hparams.io_latency_ms))
