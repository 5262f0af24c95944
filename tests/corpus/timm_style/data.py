import time

import torch
from torch.utils.data import Dataset


class SyntheticImages(Dataset):
    """Class-conditioned noise images, deterministic per index.

    `io_ms` sleeps in __getitem__ to stand in for JPEG decode + disk reads, so loader
    timings in the Train: lines look like a real dataset's.
    """

    def __init__(self, length, num_classes=10, img_size=32, seed=0, io_ms=0.):
        self.length = length
        self.num_classes = num_classes
        self.img_size = img_size
        self.seed = seed
        self.io_ms = io_ms
        # class prototypes are shared by every split; only the noise depends on `seed`
        g = torch.Generator().manual_seed(1234)
        self.class_means = torch.randn(num_classes, 3, 1, 1, generator=g)

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if self.io_ms:
            time.sleep(self.io_ms / 1000.)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        target = index % self.num_classes
        img = self.class_means[target] + torch.randn(3, self.img_size, self.img_size, generator=g)
        return img, target
