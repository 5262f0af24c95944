"""Toy regression data and model used to exercise the launcher setup."""

import torch
from torch.utils.data import Dataset


class RandomRegression(Dataset):
    """Fixed random (x, y) pairs; the seed keeps restarts comparable."""

    def __init__(self, size, in_features=20, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.x = torch.randn(size, in_features, generator=gen)
        w = torch.randn(in_features, 1, generator=gen)
        self.y = self.x @ w + 0.1 * torch.randn(size, 1, generator=gen)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


def build_model(in_features=20, hidden=32):
    return torch.nn.Sequential(
        torch.nn.Linear(in_features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 1),
    )
