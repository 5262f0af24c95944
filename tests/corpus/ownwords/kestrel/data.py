import time

import torch


def make_dataset(n_samples, n_features, seed):
    """y = a smooth nonlinear function of x plus a little noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, n_features, generator=g)
    w = torch.randn(n_features, generator=g) / n_features ** 0.5
    y = torch.tanh(x @ w) + 0.1 * torch.sin(3 * x[:, 0]) + 0.02 * torch.randn(n_samples, generator=g)
    return x, y.unsqueeze(1)


class ShardLoader:
    """Iterates shuffled batches; each batch costs `read_latency_s` like a read over NFS."""

    def __init__(self, x, y, batch_size, read_latency_s, seed):
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.read_latency_s = read_latency_s
        self.gen = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.x) // self.batch_size

    def __iter__(self):
        order = torch.randperm(len(self.x), generator=self.gen)
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            if self.read_latency_s:
                time.sleep(self.read_latency_s)
            yield self.x[idx], self.y[idx]
