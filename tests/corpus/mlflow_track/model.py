"""Tiny regression model and a synthetic dataset that stands in for the sensor shards."""

import time

import torch
from torch import nn


class SensorMLP(nn.Module):
    def __init__(self, n_in=16, hidden=64, n_out=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, hidden), nn.GELU(),
            nn.Linear(hidden, hidden), nn.GELU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def make_dataset(n_rows, n_val=1024, n_in=16, n_out=4, seed=0):
    """Returns (x, y) for training and (x_val, y_val), drawn from the same mapping."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n_in, n_out, generator=g) / n_in ** 0.5
    x = torch.randn(n_rows + n_val, n_in, generator=g)
    y = torch.tanh(x @ w) + 0.05 * torch.randn(n_rows + n_val, n_out, generator=g)
    return (x[:n_rows], y[:n_rows]), (x[n_rows:], y[n_rows:])


class ShardLoader:
    """Yields (x, y) batches in a per-epoch shuffled order.

    `io_delay_ms` mimics reading from the NFS shards on the cluster, so a laptop run
    has roughly the same step rate as the real thing.
    """

    def __init__(self, x, y, batch_size, io_delay_ms=0.0, seed=0):
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.io_delay = io_delay_ms / 1000.0
        self.seed = seed

    def __len__(self):
        return len(self.x) // self.batch_size

    def epoch(self, epoch, start_batch=0):
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(self.seed + epoch))
        for b in range(start_batch, len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if self.io_delay:
                time.sleep(self.io_delay)
            yield self.x[idx], self.y[idx]
