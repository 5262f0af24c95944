import time

import torch

N_FEATURES = 16


def _target_weights():
    g = torch.Generator().manual_seed(1234)
    return torch.randn(N_FEATURES, 1, generator=g)


def batches(batch_size, seed=0, latency=0.0):
    """Endless stream of (x, y) batches for the noisy linear target.

    `latency` is a sleep per batch; on the laptop it stands in for reading
    shards from the NFS share so timings look like the real thing.
    """
    w = _target_weights()
    g = torch.Generator().manual_seed(seed)
    while True:
        if latency:
            time.sleep(latency)
        x = torch.randn(batch_size, N_FEATURES, generator=g)
        y = x @ w + 0.1 * torch.randn(batch_size, 1, generator=g)
        yield x, y


def validation_set(n=512):
    w = _target_weights()
    g = torch.Generator().manual_seed(99)
    x = torch.randn(n, N_FEATURES, generator=g)
    return x, x @ w
