"""Synthetic data. Batch i is a pure function of (seed, i), so a resumed run sees the
same batches it would have seen without the interruption."""

import time

import torch

IN_DIM = 8


def _target(x: torch.Tensor) -> torch.Tensor:
    return (torch.sin(x[:, :4]).sum(dim=1, keepdim=True)
            + 0.5 * x[:, 4:].pow(2).mean(dim=1, keepdim=True))


def make_batch(seed: int, index: int, batch_size: int = 64):
    g = torch.Generator().manual_seed(seed * 1_000_003 + index)
    x = torch.randn(batch_size, IN_DIM, generator=g)
    return x, _target(x)


def batches(seed: int, start: int, batch_size: int = 64, io_delay: float = 0.0):
    """Yield (index, x, y) from `start` on. `io_delay` stands in for the shard reads we
    have on the real dataset; leave it at 0 unless you want realistic step times."""
    index = start
    while True:
        if io_delay:
            time.sleep(io_delay)
        x, y = make_batch(seed, index, batch_size)
        yield index, x, y
        index += 1


def validation_set(seed: int, n_batches: int = 4, batch_size: int = 256):
    return [make_batch(seed + 7919, i, batch_size) for i in range(n_batches)]
