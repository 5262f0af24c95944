import time

import torch


class SineBatches:
    """Endless batches of (x, sum of sines at x). Batch i depends only on (seed, i), so a
    resumed run sees exactly the batches it would have seen without the interruption."""

    def __init__(self, batch_size: int, n_freqs: int, seed: int, latency_ms: float = 0.0):
        self.batch_size = batch_size
        self.latency_s = latency_ms / 1000.0
        g = torch.Generator().manual_seed(seed)
        self.freqs = torch.rand(n_freqs, generator=g) * 4 + 0.5
        self.phases = torch.rand(n_freqs, generator=g) * 6.283
        self.seed = seed

    def batch(self, index: int):
        if self.latency_s:
            time.sleep(self.latency_s)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        x = torch.rand(self.batch_size, 1, generator=g) * 6 - 3
        y = torch.sin(x * self.freqs + self.phases).sum(dim=1, keepdim=True)
        return x, y
