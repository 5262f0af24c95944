"""A very small 3D-convolutional autoencoder."""

from __future__ import annotations

import torch
from torch import nn


class TinyVideoAE(nn.Module):

    def __init__(self, channels: int = 1, width: int = 16, latent: int = 8):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv3d(channels, width, kernel_size=3, stride=(1, 2, 2), padding=1),
            nn.GELU(),
            nn.Conv3d(width, latent, kernel_size=3, stride=(1, 2, 2), padding=1),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose3d(latent, width, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=1),
            nn.GELU(),
            nn.ConvTranspose3d(width, channels, kernel_size=(3, 4, 4), stride=(1, 2, 2), padding=1),
        )

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(video))

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean squared reconstruction error over real frames only."""
        video, mask = batch["video"], batch["mask"]
        err = (self(video) - video).pow(2).mean(dim=(1, 3, 4))  # (B, T)
        return (err * mask).sum() / mask.sum()
