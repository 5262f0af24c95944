"""VQTokenizer: the MAGVIT 3D-VQ video tokenizer (3D-CNN encoder, vector quantizer, 3D-CNN decoder)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from magvit.models.causal import make_causal
from magvit.models.config import TokenizerConfig
from magvit.models.layers import Downsample3D, ResBlock3D, Upsample3D, conv3d, depth_to_space, space_to_depth
from magvit.models.lfq import LookupFreeQuantizer
from magvit.models.quantizer import VectorQuantizer


@dataclass
class TokenizerOutput:
    """What one forward pass gives the trainer."""

    recon: torch.Tensor
    """Reconstruction, same shape as the input, in [0, 1] units (not clamped)."""
    loss: torch.Tensor
    """Total loss to backpropagate: recon + commitment_weight * commit + codebook + entropy_weight * entropy."""
    losses: dict[str, torch.Tensor]
    """Unweighted terms: `recon` (L2), `commit`, `codebook` (0 in ema mode), `entropy`."""
    indices: torch.Tensor
    """Token grid (B, t, h, w), long."""
    metrics: dict[str, float]
    """`codebook_usage` (fraction of codes used in the batch), `perplexity`, `restarted_codes`."""


def _levels(cfg: TokenizerConfig) -> list[int]:
    return [cfg.base_channels * m for m in cfg.channel_multipliers]


class Encoder3D(nn.Module):
    """Space-to-depth patching, input conv, then per level: residual blocks and a strided
    downsampling conv; then GroupNorm, swish and a 1x1x1 projection to the latent dim."""

    def __init__(self, cfg: TokenizerConfig) -> None:
        super().__init__()
        ch = _levels(cfg)
        self.patch = cfg.patch_size
        self.conv_in = conv3d(cfg.in_channels * self.patch[0] * self.patch[1] ** 2, ch[0])
        layers: list[nn.Module] = []
        for i, c in enumerate(ch):
            layers += [ResBlock3D(c, c, cfg.num_groups) for _ in range(cfg.num_res_blocks)]
            if i < len(ch) - 1:
                layers.append(Downsample3D(c, ch[i + 1], cfg.temporal_downsample[i], cfg.spatial_downsample[i]))
        self.blocks = nn.Sequential(*layers)
        self.norm_out = nn.GroupNorm(cfg.num_groups, ch[-1])
        self.conv_out = conv3d(ch[-1], cfg.embedding_dim, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.conv_in(space_to_depth(x, *self.patch)))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder3D(nn.Module):
    """The encoder mirrored: input conv, per level residual blocks and a repeat-then-conv
    upsampling; GroupNorm, swish, output conv and depth-to-space unpatching."""

    def __init__(self, cfg: TokenizerConfig) -> None:
        super().__init__()
        ch = _levels(cfg)
        self.conv_in = conv3d(cfg.embedding_dim, ch[-1])
        layers: list[nn.Module] = []
        for i in reversed(range(len(ch))):
            layers += [ResBlock3D(ch[i], ch[i], cfg.num_groups) for _ in range(cfg.num_res_blocks)]
            if i > 0:
                layers.append(Upsample3D(ch[i], ch[i - 1], cfg.temporal_downsample[i - 1], cfg.spatial_downsample[i - 1]))
        self.blocks = nn.Sequential(*layers)
        self.norm_out = nn.GroupNorm(cfg.num_groups, ch[0])
        self.patch = cfg.patch_size
        self.conv_out = conv3d(ch[0], cfg.in_channels * self.patch[0] * self.patch[1] ** 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.conv_out(F.silu(self.norm_out(self.blocks(self.conv_in(z)))))
        return depth_to_space(h, *self.patch)


class VQTokenizer(nn.Module):
    """Clips (B, C, T, H, W) in [0, 1] -> token grid (B, t, h, w) -> reconstructed clips."""

    def __init__(self, cfg: TokenizerConfig) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = Encoder3D(cfg)
        self.quantizer = LookupFreeQuantizer(cfg.embedding_dim, cfg.entropy_temperature) if cfg.quantizer == "lfq" else VectorQuantizer(
            cfg.codebook_size,
            cfg.embedding_dim,
            update=cfg.codebook_update,
            ema_decay=cfg.ema_decay,
            dead_code_threshold=cfg.dead_code_threshold,
            entropy_temperature=cfg.entropy_temperature,
        )
        self.decoder = Decoder3D(cfg)
        if cfg.causal:
            make_causal(self)

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 5 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"expected clips (B, {self.config.in_channels}, T, H, W), got {tuple(x.shape)}")
        self.config.token_shape(*x.shape[2:])

    def forward(self, x: torch.Tensor) -> TokenizerOutput:
        """Encode, quantize (updating the codebook when training), decode, and compute the losses."""
        self._check(x)
        z = self.encoder(x * 2 - 1)
        q = self.quantizer(z)
        recon = (self.decoder(q.z_q) + 1) / 2
        losses = {"recon": F.mse_loss(recon, x), **q.losses}
        cfg = self.config
        loss = (
            losses["recon"]
            + cfg.commitment_weight * losses["commit"]
            + losses["codebook"]
            + cfg.entropy_weight * losses["entropy"]
        )
        return TokenizerOutput(recon=recon, loss=loss, losses=losses, indices=q.indices, metrics=q.metrics)

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Token grid (B, t, h, w) of clips in [0, 1]; never updates the codebook."""
        self._check(x)
        return self.quantizer(self.encoder(x * 2 - 1), update=False).indices

    @torch.no_grad()
    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """Clips (B, C, T, H, W) in [0, 1] units (not clamped) from a token grid (B, t, h, w)."""
        z = self.quantizer.codebook()[indices].movedim(-1, 1)
        return (self.decoder(z) + 1) / 2
