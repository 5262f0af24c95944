import time

import torch
from torch.utils.data import Dataset

from .registry import DATASETS


@DATASETS.register_module()
class ToyBlobs(Dataset):
    """Three Gaussian blobs. `read_delay` is a per-sample sleep that stands in for disk reads."""

    def __init__(self, num_samples=800, in_dim=8, num_classes=3, seed=0, read_delay=0.0):
        g = torch.Generator().manual_seed(seed)
        centres = 2.0 * torch.randn(num_classes, in_dim, generator=g)
        self.labels = torch.randint(0, num_classes, (num_samples,), generator=g)
        self.data = centres[self.labels] + torch.randn(num_samples, in_dim, generator=g)
        self.read_delay = read_delay

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        if self.read_delay:
            time.sleep(self.read_delay)
        return self.data[idx], self.labels[idx]
