"""Two interleaved spirals, generated in memory, served as a keras PyDataset."""

import math
import time

import keras
import numpy as np


def make_spirals(n_points, noise=0.15, seed=0):
    rng = np.random.default_rng(seed)
    half = n_points // 2
    theta = np.sqrt(rng.uniform(0.0, 1.0, half)) * 3 * math.pi
    xs = []
    for sign in (1.0, -1.0):
        r = theta + math.pi
        x = np.stack([sign * r * np.cos(theta), sign * r * np.sin(theta)], axis=1) / 10.0
        xs.append(x + rng.normal(0.0, noise, x.shape))
    x = np.concatenate(xs).astype("float32")
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype("int32")
    order = rng.permutation(len(y))
    return x[order], y[order]


class SpiralBatches(keras.utils.PyDataset):
    """Fixed batches of the spiral data; `delay` sleeps per batch like a slow reader."""

    def __init__(self, x, y, batch_size, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.delay = delay

    def __len__(self):
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, idx):
        if self.delay:
            time.sleep(self.delay)
        sl = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[sl], self.y[sl]
