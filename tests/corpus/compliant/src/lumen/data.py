import time

import torch

N_FEATURES = 24
N_CLASSES = 4


class PacedStream:
    """An endless stream of labelled batches from a fixed mixture of Gaussians.

    Each batch is delayed by `delay_s`, the way batches arrive from a remote reader; the
    generator's state is part of a snapshot so a resumed run sees the same data order.
    """

    def __init__(self, batch_size, delay_s, seed):
        self.batch_size = batch_size
        self.delay_s = delay_s
        self.gen = torch.Generator().manual_seed(seed)
        centres = torch.Generator().manual_seed(1234)
        self.centres = torch.randn(N_CLASSES, N_FEATURES, generator=centres) * 1.5

    def next_batch(self):
        if self.delay_s:
            time.sleep(self.delay_s)
        labels = torch.randint(0, N_CLASSES, (self.batch_size,), generator=self.gen)
        noise = torch.randn(self.batch_size, N_FEATURES, generator=self.gen)
        return self.centres[labels] + noise, labels
