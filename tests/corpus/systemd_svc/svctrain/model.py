"""The model and its data: a small MLP fitting a fixed random polynomial."""

import time

import torch
from torch import nn


class TinyRegressor(nn.Module):
    def __init__(self, dim=8, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


class SyntheticShards:
    """Endless batches. `delay_s` stands in for fetching a shard from the object store."""

    def __init__(self, batch_size, seed, delay_s=0.0, dim=8):
        self.batch_size = batch_size
        self.delay_s = delay_s
        self.gen = torch.Generator().manual_seed(seed)
        coef = torch.Generator().manual_seed(7)
        self.w1 = torch.randn(dim, generator=coef)
        self.w2 = torch.randn(dim, generator=coef)
        self.dim = dim

    def next_batch(self):
        if self.delay_s:
            time.sleep(self.delay_s)
        x = torch.randn(self.batch_size, self.dim, generator=self.gen)
        y = x @ self.w1 + 0.5 * (x ** 2) @ self.w2
        return x, y

    def state_dict(self):
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state):
        self.gen.set_state(state["gen"])
