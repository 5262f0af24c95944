"""Noisy samples of y = sin(3x) + 0.5 cos(5x), split into train and validation."""

import math
import time

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class CurveSamples(Dataset):
    def __init__(self, n: int, seed: int, sample_delay: float = 0.0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, 1, generator=g) * 2 * math.pi - math.pi
        noise = 0.05 * torch.randn(n, 1, generator=g)
        self.y = torch.sin(3 * self.x) + 0.5 * torch.cos(5 * self.x) + noise
        self.sample_delay = sample_delay

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if self.sample_delay:
            # stands in for decoding a sample from disk; keeps the demo's timings realistic
            time.sleep(self.sample_delay)
        return self.x[i], self.y[i]


class CurveDataModule(L.LightningDataModule):
    def __init__(self, num_samples: int = 2400, batch_size: int = 16, sample_delay: float = 0.0, seed: int = 0):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage=None):
        full = CurveSamples(self.hparams.num_samples, self.hparams.seed, self.hparams.sample_delay)
        n_val = max(1, len(full) // 10)
        generator = torch.Generator().manual_seed(self.hparams.seed)
        self.train_set, self.val_set = random_split(full, [len(full) - n_val, n_val], generator=generator)

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)
