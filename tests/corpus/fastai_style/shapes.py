"""Synthetic 16x16 greyscale images of three shapes (square, cross, ring), made on the fly."""

import torch
from torch.utils.data import Dataset

CLASSES = ("square", "cross", "ring")


def draw(kind, size=16, generator=None):
    img = torch.zeros(1, size, size)
    r = int(torch.randint(3, 6, (1,), generator=generator))
    cy, cx = torch.randint(r, size - r, (2,), generator=generator).tolist()
    if kind == "square":
        img[0, cy - r:cy + r, cx - r:cx + r] = 1.0
    elif kind == "cross":
        img[0, cy - r:cy + r, cx] = 1.0
        img[0, cy, cx - r:cx + r] = 1.0
    else:
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        d = ((yy - cy) ** 2 + (xx - cx) ** 2).float().sqrt()
        img[0][(d - r).abs() < 0.8] = 1.0
    return img + 0.1 * torch.randn(img.shape, generator=generator)


class Shapes(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, len(CLASSES), (n,), generator=g)
        self.images = torch.stack([draw(CLASSES[int(y)], generator=g) for y in self.labels])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]
