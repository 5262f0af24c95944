"""Toy images: one bright axis-aligned rectangle on a dark 8x8 canvas, values in [-1, 1]."""

import time

import torch


def rectangles(n, size=8, generator=None):
    images = torch.full((n, 1, size, size), -1.0)
    corners = torch.randint(0, size - 2, (n, 2), generator=generator)
    extents = torch.randint(2, size // 2 + 1, (n, 2), generator=generator)
    for i in range(n):
        (r, c), (h, w) = corners[i].tolist(), extents[i].tolist()
        images[i, 0, r:r + h, c:c + w] = 1.0
    return images


class RectangleBatches:
    """Endless batches; batch k depends only on (seed, k), so a resumed run sees the same data.

    `io_delay` sleeps before each batch: it stands in for decoding real images from disk."""

    def __init__(self, batch_size=64, seed=0, io_delay=0.0):
        self.batch_size = batch_size
        self.seed = seed
        self.io_delay = io_delay

    def batch(self, k):
        if self.io_delay:
            time.sleep(self.io_delay)
        generator = torch.Generator().manual_seed(self.seed * 100_003 + k)
        return rectangles(self.batch_size, generator=generator)
