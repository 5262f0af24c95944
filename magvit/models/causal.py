"""Causal 3D convolutions for the tokenizer (MAGVIT-v2): no output frame sees a later input frame.

`make_causal(model)` swaps, in place, every Conv3d with a temporal kernel above one for a
CausalConv3d (all the temporal padding on the past side) and every GroupNorm for a
FrameGroupNorm (statistics per frame: a norm over the whole clip would leak later frames
into earlier ones). Parameters are shared, so parameter names and counts do not change.
Frames folded together by the space-to-depth patch stem stay together: causality holds
between latent frames.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class CausalConv3d(nn.Conv3d):
    """A Conv3d padded with kernel_t - 1 zero frames before the clip and none after."""

    @classmethod
    def from_conv(cls, conv: nn.Conv3d) -> CausalConv3d:
        new = cls.__new__(cls)
        new.__dict__.update(conv.__dict__)  # the same parameters, hooks and settings
        new.padding = (0, *conv.padding[1:])
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        past = (self.kernel_size[0] - 1) * self.dilation[0]
        return super().forward(F.pad(x, (0, 0, 0, 0, past, 0)))


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm over (channels of a group, H, W) of each frame separately."""

    @classmethod
    def from_norm(cls, norm: nn.GroupNorm) -> FrameGroupNorm:
        new = cls.__new__(cls)
        new.__dict__.update(norm.__dict__)
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)
        out = F.group_norm(frames, self.num_groups, self.weight, self.bias, self.eps)
        return out.reshape(b, t, c, h, w).transpose(1, 2)


def make_causal(model: nn.Module) -> nn.Module:
    """Make every temporal convolution and norm of `model` causal, in place; returns it."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Conv3d and child.kernel_size[0] > 1:
                setattr(parent, name, CausalConv3d.from_conv(child))
            elif type(child) is nn.GroupNorm:
                setattr(parent, name, FrameGroupNorm.from_norm(child))
    return model
