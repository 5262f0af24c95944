import math
import time

import torch

FRAMES = 4
SIZE = 16


def render_clip(gen):
    """A dot moving in a straight line across FRAMES frames of SIZE x SIZE."""
    start = torch.rand(2, generator=gen) * (SIZE - 1)
    angle = torch.rand(1, generator=gen).item() * 2 * math.pi
    velocity = torch.tensor([math.cos(angle), math.sin(angle)]) * 1.5
    ys, xs = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    frames = []
    for t in range(FRAMES):
        cy, cx = (start + velocity * t).clamp(0, SIZE - 1)
        frames.append(torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / 3.0))
    return torch.stack(frames)


class TrajectoryClips(torch.utils.data.Dataset):
    def __init__(self, n, seed, render_delay=0.0):
        gen = torch.Generator().manual_seed(seed)
        self.clips = torch.stack([render_clip(gen) for _ in range(n)])
        self.render_delay = render_delay

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, i):
        if self.render_delay:
            time.sleep(self.render_delay)
        return self.clips[i]
