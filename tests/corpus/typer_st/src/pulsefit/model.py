import torch
from torch import nn


class PulseNet(nn.Module):
    """Two conv blocks, global average pool, linear head."""

    def __init__(self, channels: int = 32, n_classes: int = 4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, channels, kernel_size=7, padding=3),
            nn.GELU(),
            nn.Conv1d(channels, channels, kernel_size=5, padding=2, stride=2),
            nn.GELU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, seq_len) -> logits (batch, n_classes)
        return self.head(self.features(x.unsqueeze(1)).squeeze(-1))
