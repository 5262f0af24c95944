"""Synthetic batches: Gaussian inputs labelled by the teacher.

Batch i is drawn from a generator seeded with (seed, i), so a run restarted at
step s sees exactly the batches s+1, s+2, ... it would have seen anyway.
"""

import time

import torch


def _batch(teacher, config, index, batch_size):
  gen = torch.Generator().manual_seed(config.seed * 1_000_003 + index)
  x = torch.randn(batch_size, config.input_dim, generator=gen)
  with torch.no_grad():
    y = teacher(x)
  return x, y


def train_iterator(teacher, config, start_step=0):
  """Yields the batches for steps start_step + 1, start_step + 2, ..."""
  step = start_step
  delay = config.simulated_read_latency_ms / 1000.0
  while True:
    step += 1
    if delay:
      time.sleep(delay)
    yield _batch(teacher, config, step, config.batch_size)


def eval_batch(teacher, config):
  """One fixed held-out batch (index -1 is never used for training)."""
  return _batch(teacher, config, -1, config.eval_batch_size)
