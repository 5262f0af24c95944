import torch
from torch import nn


class PatchMLP(nn.Module):
    """Flattens the context window per channel and maps it to the horizon."""

    def __init__(self, context: int, horizon: int, hidden: int = 48):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(context, hidden), nn.GELU(),
            nn.Linear(hidden, hidden), nn.GELU(),
            nn.Linear(hidden, horizon),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, channels, context)
        return self.net(x)
