"""Lookup-free quantization (MAGVIT-v2, Yu et al. 2023): each latent channel becomes one bit.

A latent vector z in R^D is quantized to sign(z) in {-1, 1}^D with straight-through gradients;
its token is the integer whose bit i is set when channel i is positive, so the implicit
codebook is {-1, 1}^D with 2^D entries and no lookup. The entropy penalty is the one of the
VQ (mean per-sample entropy minus the entropy of the batch-average distribution) over the
soft assignment softmax(-||z - c||^2 / T) to every code c; since ||z - c||^2 is a sum over
channels, that distribution is a product of per-channel ones, computed here from D pairs of
logits rather than 2^D distances.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from magvit.models.quantizer import Quantized, usage_metrics

_EPS = 1e-5
MAX_BITS = 12
"""The batch-average entropy spells out all 2^D code probabilities: D is kept small enough for that."""


class LookupFreeQuantizer(nn.Module):
    """Quantizes each latent vector (channel dim 1) to the signs of its channels."""

    def __init__(self, dim: int, entropy_temperature: float = 0.01) -> None:
        super().__init__()
        if not 1 <= dim <= MAX_BITS:
            raise ValueError(f"lookup-free quantization needs 1 to {MAX_BITS} channels, got {dim}")
        self.dim, self.codebook_size = dim, 2 ** dim
        self.entropy_temperature = entropy_temperature
        self.register_buffer("bit_values", 2 ** torch.arange(dim), persistent=False)

    def codebook(self) -> torch.Tensor:
        """All codes (2^D, D) in {-1, 1}: row k has +1 in channel i when bit i of k is set."""
        k = torch.arange(self.codebook_size, device=self.bit_values.device)
        return ((k[:, None] & self.bit_values) > 0).float() * 2 - 1

    def forward(self, z: torch.Tensor, update: bool | None = None) -> Quantized:
        """Quantize `z` (B, D, ...); `update` is accepted for the VQ's interface (nothing is learned here)."""
        flat = z.movedim(1, -1).reshape(-1, self.dim)
        positive = flat > 0
        q = positive.to(flat.dtype) * 2 - 1
        idx = (positive.long() * self.bit_values).sum(1)
        commit = F.mse_loss(flat, q.detach())
        entropy = self.entropy(flat)
        q_st = flat + (q - flat).detach()  # straight-through: the decoder's gradient reaches the encoder
        z_q = q_st.reshape(*z.shape[:1], *z.shape[2:], self.dim).movedim(-1, 1)
        metrics = usage_metrics(idx, self.codebook_size)
        metrics["restarted_codes"] = 0.0
        return Quantized(
            z_q=z_q,
            indices=idx.reshape(*z.shape[:1], *z.shape[2:]),
            losses={"commit": commit, "codebook": flat.new_zeros(()), "entropy": entropy},
            metrics=metrics,
        )

    def entropy(self, flat: torch.Tensor) -> torch.Tensor:
        """Mean per-sample entropy minus the entropy of the batch-average code distribution."""
        # per channel, the logits of -1 and +1: -(z - c)^2 / T, of which only the difference matters
        logit_pos = 4 * flat / self.entropy_temperature  # ((z + 1)^2 - (z - 1)^2) / T
        p_pos = torch.sigmoid(logit_pos)
        bit_entropy = F.softplus(-logit_pos) * p_pos + F.softplus(logit_pos) * (1 - p_pos)
        per_sample = bit_entropy.sum(1).mean()
        # p(code k) = prod_i p_i(bit i of k); averaged over the batch, then its entropy
        code_bits = self.codebook() > 0  # (K, D)
        log_p = torch.where(code_bits[None], F.logsigmoid(logit_pos)[:, None], F.logsigmoid(-logit_pos)[:, None])
        avg = log_p.sum(-1).exp().mean(0)  # (K,)
        codebook = -(avg * torch.log(avg + _EPS)).sum()
        return per_sample - codebook
