"""Synthetic regression stream.

Targets are sin(x . w) plus a little noise, with w fixed by the task seed. Batches come
from a numpy PCG64 generator whose state is small enough to go into every checkpoint,
so a resumed run sees the same batches it would have seen without the interruption.
READ_DELAY seconds of sleep per batch stand in for the shared filesystem.
"""
import time

import numpy as np
import torch


class SyntheticStream:
    def __init__(self, n_in=8, batch_size=64, seed=0, read_delay=0.0):
        self.n_in = n_in
        self.batch_size = batch_size
        self.read_delay = read_delay
        self.w = np.random.default_rng(1234).normal(size=n_in) / np.sqrt(n_in)
        self.rng = np.random.default_rng(seed)

    def next_batch(self):
        if self.read_delay > 0:
            time.sleep(self.read_delay)
        x = self.rng.normal(size=(self.batch_size, self.n_in))
        y = np.sin(2.0 * x @ self.w) + 0.05 * self.rng.normal(size=self.batch_size)
        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)

    def state_dict(self):
        return self.rng.bit_generator.state

    def load_state_dict(self, state):
        self.rng.bit_generator.state = state
