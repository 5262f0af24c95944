import torch
from torch import nn


class TinyMLP(nn.Module):
    def __init__(self, d_in=16, d_hidden=32, d_out=1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Linear(d_hidden, d_out))

    def forward(self, x):
        return self.net(x)


class SyntheticRegression:
    """y = x @ w + noise, drawn batch by batch from a seeded generator (no files to ship)."""

    def __init__(self, d_in=16, batch_size=32, seed=0):
        self.batch_size = batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self.w = torch.randn(d_in, 1, generator=self.gen)
        self.d_in = d_in

    def batch(self):
        x = torch.randn(self.batch_size, self.d_in, generator=self.gen)
        y = x @ self.w + 0.05 * torch.randn(self.batch_size, 1, generator=self.gen)
        return x, y

    def state_dict(self):
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state):
        self.gen.set_state(state["gen"])
