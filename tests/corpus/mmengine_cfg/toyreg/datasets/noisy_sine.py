import math

import torch
from mmengine.registry import DATASETS
from torch.utils.data import Dataset


@DATASETS.register_module()
class NoisySineDataset(Dataset):
    """y = sin(2*pi*x) + gaussian noise, x uniform in [-1, 1].

    Samples are generated once in ``__init__`` from ``seed`` so two runs with
    the same config see exactly the same data.
    """

    def __init__(self, num_samples=4096, noise=0.05, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(num_samples, 1, generator=g) * 2 - 1
        eps = torch.randn(num_samples, 1, generator=g) * noise
        self.y = torch.sin(2 * math.pi * self.x) + eps

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, idx):
        return dict(inputs=self.x[idx], targets=self.y[idx])
