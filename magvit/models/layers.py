"""3D convolutional building blocks of the MAGVIT encoder and decoder."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv3d(cin: int, cout: int, kernel: int = 3, stride: tuple[int, int, int] = (1, 1, 1)) -> nn.Conv3d:
    """A 3D convolution with 'same' padding (for stride 1) or halving output (for stride 2)."""
    return nn.Conv3d(cin, cout, kernel, stride=stride, padding=kernel // 2)


class ResBlock3D(nn.Module):
    """GroupNorm -> swish -> conv3x3x3, twice, plus a (1x1x1-projected) skip connection."""

    def __init__(self, cin: int, cout: int, groups: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = conv3d(cin, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = conv3d(cout, cout)
        self.skip = nn.Identity() if cin == cout else conv3d(cin, cout, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Downsample3D(nn.Module):
    """Strided 3x3x3 convolution halving time and/or space."""

    def __init__(self, cin: int, cout: int, temporal: bool, spatial: bool) -> None:
        super().__init__()
        self.conv = conv3d(cin, cout, stride=(2 if temporal else 1, 2 if spatial else 1, 2 if spatial else 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample3D(nn.Module):
    """Nearest-neighbour repeat doubling time and/or space, then a 3x3x3 convolution."""

    def __init__(self, cin: int, cout: int, temporal: bool, spatial: bool) -> None:
        super().__init__()
        self.factor = (2 if temporal else 1, 2 if spatial else 1, 2 if spatial else 1)
        self.conv = conv3d(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor != (1, 1, 1):
            x = F.interpolate(x, scale_factor=self.factor, mode="nearest")
        return self.conv(x)


def space_to_depth(x: torch.Tensor, pt: int, ps: int) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, C * pt * ps * ps, T / pt, H / ps, W / ps): each pt x ps x ps patch becomes channels."""
    if pt == ps == 1:
        return x
    b, c, t, h, w = x.shape
    x = x.reshape(b, c, t // pt, pt, h // ps, ps, w // ps, ps)
    return x.permute(0, 1, 3, 5, 7, 2, 4, 6).reshape(b, c * pt * ps * ps, t // pt, h // ps, w // ps)


def depth_to_space(x: torch.Tensor, pt: int, ps: int) -> torch.Tensor:
    """The inverse of space_to_depth."""
    if pt == ps == 1:
        return x
    b, cf, t, h, w = x.shape
    c = cf // (pt * ps * ps)
    x = x.reshape(b, c, pt, ps, ps, t, h, w)
    return x.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(b, c, t * pt, h * ps, w * ps)
