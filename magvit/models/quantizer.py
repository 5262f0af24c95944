"""Vector quantizer of the MAGVIT 3D-VQ tokenizer.

Nearest-code assignment with straight-through gradients, commitment loss, codebook learning by
EMA or by the codebook loss, the entropy regulariser, dead-code restarts, and usage metrics.
Every random choice uses the torch RNG and every statistic is a registered buffer, so a run
restored from a state_dict and the RNG state continues exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from magvit.metrics import codebook_usage, perplexity

_EPS = 1e-5


@dataclass
class Quantized:
    """The quantizer's result for a batch of latents."""

    z_q: torch.Tensor
    """Quantized latents with straight-through gradients, same shape as the input."""
    indices: torch.Tensor
    """Code index per latent vector (input shape without the channel dim), long."""
    losses: dict[str, torch.Tensor]
    """Unweighted `commit`, `codebook` (0 in ema mode) and `entropy` terms."""
    metrics: dict[str, float]
    """`codebook_usage`, `perplexity`, `restarted_codes`."""


def entropy_terms(distances: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean per-sample entropy minus the entropy of the codebook-average distribution.

    Minimising it makes each latent confident about one code while spreading latents over
    the whole codebook (the MaskGIT / MAGVIT entropy regulariser).
    """
    logits = -distances / temperature
    probs = F.softmax(logits, dim=-1)
    log_probs = F.log_softmax(logits, dim=-1)
    per_sample = -(probs * log_probs).sum(-1).mean()
    avg = probs.mean(0)
    codebook = -(avg * torch.log(avg + _EPS)).sum()
    return per_sample - codebook


def usage_metrics(indices: torch.Tensor, codebook_size: int) -> dict[str, float]:
    """Fraction of codes used at least once, and the perplexity exp(H) of the code histogram."""
    return {"codebook_usage": codebook_usage(indices, codebook_size), "perplexity": perplexity(indices, codebook_size)}


class VectorQuantizer(nn.Module):
    """Maps each latent vector (channel dim 1) to its nearest codebook entry."""

    def __init__(
        self,
        codebook_size: int,
        dim: int,
        update: str = "ema",
        ema_decay: float = 0.99,
        dead_code_threshold: float = 1.0,
        entropy_temperature: float = 0.01,
    ) -> None:
        super().__init__()
        self.codebook_size, self.dim = codebook_size, dim
        self.update, self.decay = update, ema_decay
        self.dead_code_threshold = dead_code_threshold
        self.entropy_temperature = entropy_temperature
        init = torch.randn(codebook_size, dim)
        if update == "ema":
            self.register_buffer("embedding", init)
            # counts start at 1 with sums equal to the codes, so an unassigned code keeps its
            # vector (numerator and denominator decay together) instead of dividing by zero
            self.register_buffer("ema_cluster_size", torch.ones(codebook_size))
            self.register_buffer("ema_embed_sum", init.clone())
        elif update == "loss":
            self.embedding = nn.Parameter(init)
        else:
            raise ValueError(f"update must be 'ema' or 'loss', got {update!r}")
        # EMA of assignments per batch for each code; zero at first, so the first training
        # batch restarts every code from encoder outputs (a data-dependent initialisation).
        self.register_buffer("usage", torch.zeros(codebook_size))

    def codebook(self) -> torch.Tensor:
        """The codes (K, D), as a copy: the in-place updates after the forward pass must not
        change tensors that backward still needs (gradients flow into it in `loss` mode)."""
        return self.embedding.clone() if self.update == "loss" else self.embedding.detach().clone()

    @staticmethod
    def distances(flat: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """Squared L2 distance of each row of `flat` (N, D) to each code of `e` (K, D): (N, K)."""
        return flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.t() + e.pow(2).sum(1)[None, :]

    def forward(self, z: torch.Tensor, update: bool | None = None) -> Quantized:
        """Quantize `z` (B, D, ...); `update` (default: self.training) enables EMA updates and restarts."""
        update = self.training if update is None else update
        flat = z.movedim(1, -1).reshape(-1, self.dim)
        e = self.codebook()
        dist = self.distances(flat, e)
        idx = dist.argmin(1)
        q = e[idx]
        commit = F.mse_loss(flat, q.detach())
        codebook_loss = F.mse_loss(q, flat.detach()) if self.update == "loss" else flat.new_zeros(())
        entropy = entropy_terms(dist, self.entropy_temperature)
        q_st = flat + (q - flat).detach()  # straight-through: the decoder's gradient reaches the encoder
        z_q = q_st.reshape(*z.shape[:1], *z.shape[2:], self.dim).movedim(-1, 1)
        metrics = usage_metrics(idx, self.codebook_size)
        restarted = 0
        if update:
            with torch.no_grad():
                restarted = self._update(flat.detach(), idx)
        metrics["restarted_codes"] = float(restarted)
        return Quantized(
            z_q=z_q,
            indices=idx.reshape(*z.shape[:1], *z.shape[2:]),
            losses={"commit": commit, "codebook": codebook_loss, "entropy": entropy},
            metrics=metrics,
        )

    def _update(self, flat: torch.Tensor, idx: torch.Tensor) -> int:
        """EMA codebook step (ema mode), usage bookkeeping and dead-code restarts; returns codes restarted."""
        counts = torch.bincount(idx, minlength=self.codebook_size).to(flat.dtype)
        self.usage.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        if self.update == "ema":
            sums = torch.zeros_like(self.ema_embed_sum).index_add_(0, idx, flat)
            self.ema_cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
            self.ema_embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
            self.embedding.copy_(self.ema_embed_sum / self.ema_cluster_size.clamp_min(_EPS)[:, None])
        return self.restart_dead_codes(flat)

    def restart_dead_codes(self, flat: torch.Tensor) -> int:
        """Replace each code used less than the threshold by a random row of `flat` (torch RNG)."""
        if self.dead_code_threshold <= 0:
            return 0
        dead = torch.nonzero(self.usage < self.dead_code_threshold).squeeze(1)
        if dead.numel() == 0:
            return 0
        pick = torch.randint(0, flat.shape[0], (dead.numel(),), device=flat.device)
        fresh = flat[pick]
        # twice the threshold: an unused restarted code is restarted again after ln(2) / (1 - decay) steps
        grace = 2.0 * self.dead_code_threshold
        self.embedding[dead] = fresh
        self.usage[dead] = grace
        if self.update == "ema":
            self.ema_cluster_size[dead] = grace
            self.ema_embed_sum[dead] = fresh * grace
        return int(dead.numel())
