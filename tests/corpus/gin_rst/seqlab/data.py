"""Synthetic copy-with-noise sequences.

The real corpus sits on the lab's NFS share; ``read_latency`` stands in for
the time one batch takes to come off it so that CPU runs have realistic pacing.
"""

import time

import gin
import torch


@gin.configurable
def batches(seed=0, batch_size=16, seq_len=24, vocab_size=32, read_latency=0.0):
    gen = torch.Generator().manual_seed(seed)
    while True:
        if read_latency:
            time.sleep(read_latency)
        base = torch.randint(0, vocab_size, (batch_size, seq_len // 2), generator=gen)
        tokens = torch.cat([base, base], dim=1)
        yield tokens[:, :-1], tokens[:, 1:]
