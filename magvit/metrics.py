"""Reconstruction and codebook metrics: PSNR, SSIM, perplexity."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

# PSNR of a perfect reconstruction is capped here so that averages over clips stay finite.
PSNR_CAP_DB = 100.0


def _per_sample_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    return (pred.double() - target.double()).pow(2).reshape(pred.shape[0], -1).mean(1)


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per sample (first dim), averaged unless reduction='none'.

    10 log10(data_range^2 / MSE), capped at PSNR_CAP_DB (identical inputs give the cap).
    """
    mse = _per_sample_mse(pred, target)
    floor = data_range**2 * 10 ** (-PSNR_CAP_DB / 10)
    values = 10 * torch.log10(data_range**2 / mse.clamp_min(floor))
    return values if reduction == "none" else values.mean()


def _gaussian_window(size: int, sigma: float) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
    sigma: float = 1.5,
    reduction: str = "mean",
) -> torch.Tensor:
    """Structural similarity of clips (B, C, T, H, W) or images (B, C, H, W), per sample.

    The standard SSIM (Wang et al. 2004; gaussian window 11, sigma 1.5, K1 0.01, K2 0.03,
    valid windows only) computed on every frame and channel, then averaged over them. The
    window shrinks to the frame size for frames smaller than it.
    """
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if pred.ndim == 5:  # fold time into the batch: per-frame SSIM
        b, c, t, h, w = pred.shape
        pred = pred.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        target = target.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        frames = t
    elif pred.ndim == 4:
        frames = 1
    else:
        raise ValueError(f"expected (B, C, T, H, W) or (B, C, H, W), got {tuple(pred.shape)}")
    n, c, h, w = pred.shape
    size = min(window_size, h, w)
    size -= 1 - size % 2  # keep it odd
    g = _gaussian_window(size, sigma)
    x, y = pred.double().reshape(n * c, 1, h, w), target.double().reshape(n * c, 1, h, w)

    def blur(img: torch.Tensor) -> torch.Tensor:
        img = F.conv2d(img, g.view(1, 1, 1, -1))
        return F.conv2d(img, g.view(1, 1, -1, 1))

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    values = s.reshape(n // frames, frames * c, -1).mean(dim=(1, 2))
    return values if reduction == "none" else values.mean()


def perplexity(indices: torch.Tensor, codebook_size: int) -> float:
    """exp(entropy) of the code histogram: 1 when one code is used, codebook_size when all are used equally."""
    counts = torch.bincount(indices.reshape(-1), minlength=codebook_size).double()
    probs = counts[counts > 0] / counts.sum()
    return float(math.exp(-(probs * probs.log()).sum()))


def codebook_usage(indices: torch.Tensor, codebook_size: int) -> float:
    """Fraction of codebook entries that occur at least once in `indices`."""
    return float(torch.unique(indices).numel()) / codebook_size
