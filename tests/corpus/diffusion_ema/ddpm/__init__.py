"""Denoising diffusion on 8x8 toy images: noise schedule, eps-network, EMA, checkpoints."""
