"""A synthetic, replayable stream.

Chunk ``i`` is a pure function of ``(seed, i)``, so the position in the stream is a
single integer: the index of the next chunk to read.
"""

import time

import numpy as np


class Stream:
    def __init__(self, seed, n_features, chunk_rows, fetch_delay_s=0.0, drift_every=200):
        self.seed = seed
        self.n_features = n_features
        self.chunk_rows = chunk_rows
        self.fetch_delay_s = fetch_delay_s
        self.drift_every = drift_every
        rng = np.random.default_rng(seed)
        self._w = rng.normal(size=n_features)
        self._drift = rng.normal(scale=0.15, size=n_features)

    def weights_at(self, i):
        return self._w + (i // self.drift_every) * self._drift

    def chunk(self, i):
        rng = np.random.default_rng([self.seed, i])
        X = rng.normal(size=(self.chunk_rows, self.n_features))
        logits = X @ self.weights_at(i) + rng.normal(scale=0.5, size=self.chunk_rows)
        return X, (logits > 0).astype(np.int64)

    def fetch(self, i):
        """What the live consumer does: wait on the feed, then hand over chunk i."""
        if self.fetch_delay_s:
            time.sleep(self.fetch_delay_s)
        return self.chunk(i)

    def holdout(self, rows):
        rng = np.random.default_rng([self.seed, 10**9])
        X = rng.normal(size=(rows, self.n_features))
        return X, (X @ self._w > 0).astype(np.int64)
