"""Synthetic pulses until the digitiser dumps are cleared for sharing.

Class k is a damped oscillation whose rise time and ringing depend on k, plus noise.
"""

import math
import time

import torch


class PulseData:
    def __init__(self, n_samples, seq_len, batch_size, read_latency_ms=0.0, n_classes=4, seed=0):
        g = torch.Generator().manual_seed(seed)
        t = torch.linspace(0, 1, seq_len)
        self.y = torch.randint(0, n_classes, (n_samples,), generator=g)
        rise = 0.02 + 0.03 * self.y.float().unsqueeze(1)
        freq = 6.0 + 4.0 * self.y.float().unsqueeze(1)
        shape = (1 - torch.exp(-t / rise)) * torch.exp(-3 * t) * torch.cos(2 * math.pi * freq * t)
        self.x = shape + 0.3 * torch.randn(n_samples, seq_len, generator=g)
        self.batch_size = batch_size
        self.read_latency = read_latency_ms / 1000.0
        self.seed = seed

    def __len__(self):
        return len(self.y) // self.batch_size

    def batches(self, epoch, start=0):
        """Yield the epoch's batches from batch index `start` on (same order on every call)."""
        order = torch.randperm(len(self.y), generator=torch.Generator().manual_seed(self.seed + epoch))
        for i in range(start, len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            if self.read_latency:
                time.sleep(self.read_latency)
            yield self.x[idx], self.y[idx]
