import time

import torch
from torch.utils.data import IterableDataset


class ModularSequences(IterableDataset):
    """Endless batches of x_{t+1} = (a * x_t + b) mod vocab, with random a, b, x_0 per row.

    `delay` sleeps before each batch: our real loader waits on network storage.
    """

    def __init__(self, batch_size=32, seq_len=24, vocab=16, seed=0, delay=0.0, start_batch=0):
        self.batch_size, self.seq_len, self.vocab = batch_size, seq_len, vocab
        self.seed, self.delay, self.start_batch = seed, delay, start_batch

    def __iter__(self):
        i = self.start_batch
        while True:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
            a = torch.randint(1, self.vocab, (self.batch_size, 1), generator=g)
            b = torch.randint(0, self.vocab, (self.batch_size, 1), generator=g)
            x = torch.randint(0, self.vocab, (self.batch_size, 1), generator=g)
            cols = [x]
            for _ in range(self.seq_len):
                cols.append((a * cols[-1] + b) % self.vocab)
            seq = torch.cat(cols, dim=1)
            if self.delay:
                time.sleep(self.delay)
            yield seq[:, :-1], seq[:, 1:]
            i += 1
