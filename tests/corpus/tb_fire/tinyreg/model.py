import torch
from torch import nn


class TinyReg(nn.Module):
    """Two hidden layers, enough to fit the synthetic target in a few hundred steps."""

    def __init__(self, in_dim: int = 8, hidden: int = 32, out_dim: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
