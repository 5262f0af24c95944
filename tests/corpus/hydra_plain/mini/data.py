"""Synthetic regression data: y = <w, x> + sin(x_0) + noise, with a fixed hidden w."""
import time

import torch


class SyntheticStream:
    def __init__(self, in_dim: int, batch_size: int, noise: float = 0.1, delay_s: float = 0.0, seed: int = 0):
        self.in_dim = in_dim
        self.batch_size = batch_size
        self.noise = noise
        self.delay_s = delay_s
        g = torch.Generator().manual_seed(1234)  # the target never changes between runs
        self.w = torch.randn(in_dim, generator=g) / in_dim ** 0.5
        self.gen = torch.Generator().manual_seed(seed)

    def sample(self):
        x = torch.randn(self.batch_size, self.in_dim, generator=self.gen)
        y = x @ self.w + torch.sin(x[:, 0]) + self.noise * torch.randn(self.batch_size, generator=self.gen)
        return x, y

    def __iter__(self):
        while True:
            if self.delay_s:
                time.sleep(self.delay_s)
            yield self.sample()
