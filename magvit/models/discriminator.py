"""A 3D StyleGAN-style discriminator over whole clips (MAGVIT's), small enough for 16x32x32 clips.

From-RGB 1x1x1 conv, then per level a residual block (two 3x3x3 convs with leaky ReLU, a
blur then 2x average-pool downsampling, a pooled 1x1x1 skip, the sum scaled by 1/sqrt(2)),
then optionally the minibatch standard deviation, a last conv, global average pooling and a
linear layer to one logit per clip. Time is halved with space until one frame is left.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from magvit.models.gan import GanConfig

_SLOPE = 0.2


def _pool_factors(x: torch.Tensor) -> tuple[int, int, int]:
    _, _, t, h, w = x.shape
    return (2 if t > 1 else 1, 2 if h > 1 else 1, 2 if w > 1 else 1)


def blur_downsample(x: torch.Tensor) -> torch.Tensor:
    """[1, 2, 1] blur along each pooled axis, then 2x average pooling (anti-aliased downsampling)."""
    factors = _pool_factors(x)
    c = x.shape[1]
    for axis, f in zip((2, 3, 4), factors):
        if f == 1:
            continue
        shape = [1, 1, 1]
        shape[axis - 2] = 3
        kernel = x.new_tensor([1.0, 2.0, 1.0]).div(4).reshape(1, 1, *shape).repeat(c, 1, 1, 1, 1)
        padding = [0, 0, 0]
        padding[axis - 2] = 1
        x = F.conv3d(x, kernel, padding=tuple(padding), groups=c)
    return F.avg_pool3d(x, factors)


class DiscriminatorBlock(nn.Module):
    """Residual block that changes channels and downsamples."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cin, 3, padding=1)
        self.conv2 = nn.Conv3d(cin, cout, 3, padding=1)
        self.skip = nn.Conv3d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.conv1(x), _SLOPE)
        h = F.leaky_relu(self.conv2(blur_downsample(h)), _SLOPE)
        return (self.skip(blur_downsample(x)) + h) / math.sqrt(2)


def minibatch_stddev(x: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Append one channel: the mean over features of the std over each group of clips (StyleGAN)."""
    b = x.shape[0]
    g = min(group, b)
    while b % g:
        g -= 1
    y = x.reshape(g, b // g, *x.shape[1:])
    std = (y.var(0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3, 4), keepdim=True)  # (b/g, 1, 1, 1, 1)
    std = std.repeat(g, 1, *x.shape[2:])
    return torch.cat([x, std], dim=1)


class Discriminator3D(nn.Module):
    """Clips (B, C, T, H, W) in [-1, 1] -> one real/fake logit per clip (B,)."""

    def __init__(self, cfg: GanConfig, in_channels: int) -> None:
        super().__init__()
        ch = [cfg.disc_base_channels * m for m in cfg.disc_channel_multipliers]
        self.from_rgb = nn.Conv3d(in_channels, ch[0], 1)
        self.blocks = nn.ModuleList(DiscriminatorBlock(ch[i], ch[min(i + 1, len(ch) - 1)]) for i in range(len(ch)))
        self.stddev = cfg.minibatch_stddev
        self.conv_out = nn.Conv3d(ch[-1] + int(self.stddev), ch[-1], 3, padding=1)
        self.fc = nn.Linear(ch[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.from_rgb(x), _SLOPE)
        for block in self.blocks:
            h = block(h)
        if self.stddev:
            h = minibatch_stddev(h)
        h = F.leaky_relu(self.conv_out(h), _SLOPE)
        return self.fc(h.mean(dim=(2, 3, 4))).squeeze(1)
