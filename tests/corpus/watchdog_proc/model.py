import torch
from torch import nn


class Denoiser(nn.Module):
    """A 1-D conv denoiser for short noisy signals."""

    def __init__(self, channels: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, 1, 5, padding=2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.net(x)


def noisy_batches(batch_size: int, length: int, generator: torch.Generator, delay: float = 0.0):
    """Endless (noisy, clean) pairs of random sine mixtures; `delay` sleeps per batch."""
    import time

    t = torch.linspace(0, 1, length)
    while True:
        freqs = torch.randint(1, 8, (batch_size, 3, 1), generator=generator).float()
        amps = torch.rand(batch_size, 3, 1, generator=generator)
        clean = (amps * torch.sin(2 * torch.pi * freqs * t)).sum(1, keepdim=True)
        noisy = clean + 0.3 * torch.randn(clean.shape, generator=generator)
        if delay:
            time.sleep(delay)
        yield noisy, clean
