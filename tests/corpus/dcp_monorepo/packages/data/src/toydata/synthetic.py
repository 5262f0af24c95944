"""Sinusoid-plus-trend windows, generated per batch index."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SeriesConfig:
    channels: int = 3
    context: int = 32
    horizon: int = 8
    noise: float = 0.05


class WindowStream:
    """Yields (context, target) batches starting at batch index `start`.

    `io_wait_s` sleeps per batch: it stands in for the object-store reads of the real data.
    """

    def __init__(self, cfg: SeriesConfig, batch_size: int, seed: int = 0, start: int = 0,
                 io_wait_s: float = 0.0):
        self.cfg, self.batch_size, self.seed = cfg, batch_size, seed
        self.index = start
        self.io_wait_s = io_wait_s

    def batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed * 7919 + index)
        n, c = self.batch_size, self.cfg.channels
        length = self.cfg.context + self.cfg.horizon
        t = torch.arange(length, dtype=torch.float32)
        freq = torch.rand(n, c, 1, generator=g) * 0.4 + 0.05
        phase = torch.rand(n, c, 1, generator=g) * 2 * math.pi
        trend = torch.randn(n, c, 1, generator=g) * 0.01
        x = torch.sin(freq * t + phase) + trend * t
        x = x + self.cfg.noise * torch.randn(x.shape, generator=g)
        return x[..., : self.cfg.context], x[..., self.cfg.context:]

    def __iter__(self):
        return self

    def __next__(self):
        if self.io_wait_s:
            time.sleep(self.io_wait_s)
        out = self.batch(self.index)
        self.index += 1
        return out
