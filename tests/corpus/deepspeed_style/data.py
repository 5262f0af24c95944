"""Synthetic byte sequences with learnable structure: a random walk over byte values."""

import torch
from torch.utils.data import Dataset


class RandomWalkBytes(Dataset):
    def __init__(self, n_samples=20_000, block_size=64, seed=0):
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, 256, (n_samples, 1), generator=g)
        steps = torch.randint(-3, 4, (n_samples, block_size), generator=g)
        self.data = (start + steps.cumsum(dim=1)) % 256

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        seq = self.data[i]
        return seq[:-1], seq[1:]
