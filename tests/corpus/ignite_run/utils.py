import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, in_features=20, hidden=48, num_classes=4):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.head(x)


def make_blobs(n, in_features=20, num_classes=4, seed=0):
    """Gaussian blobs around fixed random centres: a toy classification set."""
    centres = torch.randn(num_classes, in_features, generator=torch.Generator().manual_seed(1234))
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_classes, (n,), generator=g)
    x = 0.6 * centres[y] + torch.randn(n, in_features, generator=g)
    return TensorDataset(x, y)


class SlowCollate:
    """Adds a fixed latency per batch, to mimic reading shards from network storage."""

    def __init__(self, delay):
        self.delay = delay

    def __call__(self, samples):
        if self.delay > 0:
            time.sleep(self.delay)
        xs, ys = zip(*samples)
        return torch.stack(xs), torch.stack(ys)


def get_data_loaders(train_batch_size, val_batch_size, io_delay=0.0):
    train_ds = make_blobs(2048, seed=0)
    val_ds = make_blobs(512, seed=1)
    train_loader = DataLoader(train_ds, batch_size=train_batch_size, shuffle=True,
                              collate_fn=SlowCollate(io_delay))
    val_loader = DataLoader(val_ds, batch_size=val_batch_size, shuffle=False,
                            collate_fn=SlowCollate(0.0))
    return train_loader, val_loader
