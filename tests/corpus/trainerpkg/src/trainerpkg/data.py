"""Synthetic classification data: Gaussian clusters, one per class."""

from __future__ import annotations

import time

import torch
from torch.utils.data import TensorDataset


def make_dataset(n_samples: int, n_features: int, n_classes: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(n_classes, n_features, generator=g) * 2.0
    labels = torch.randint(0, n_classes, (n_samples,), generator=g)
    points = centers[labels] + torch.randn(n_samples, n_features, generator=g)
    return TensorDataset(points, labels)


def steps_per_epoch(dataset: TensorDataset, batch_size: int) -> int:
    return len(dataset) // batch_size


def iterate_batches(dataset: TensorDataset, batch_size: int, epoch: int, seed: int,
                    io_delay_s: float = 0.0, start: int = 0):
    """Yield (x, y) batches of one epoch in an order fixed by (seed, epoch).

    `start` skips the first batches, so that a resumed run sees the rest of the
    epoch it was interrupted in, in the same order.
    """
    g = torch.Generator().manual_seed(seed * 1000 + epoch)
    order = torch.randperm(len(dataset), generator=g)
    x_all, y_all = dataset.tensors
    for b in range(start, steps_per_epoch(dataset, batch_size)):
        if io_delay_s:
            time.sleep(io_delay_s)
        idx = order[b * batch_size:(b + 1) * batch_size]
        yield x_all[idx], y_all[idx]
