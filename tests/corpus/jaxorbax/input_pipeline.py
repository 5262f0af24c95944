"""Synthetic regression data: y = sin(x . w) + noise, generated on the host."""

import numpy as np


def _target_weights(num_features):
  return np.random.default_rng(0).normal(size=(num_features,)) / np.sqrt(num_features)


def batches(config, split='train', start_step=0):
  """Yields {'x', 'y'} batches forever, deterministic given the step."""
  w = _target_weights(config.num_features)
  offset = 0 if split == 'train' else 10**9
  step = start_step
  while True:
    rng = np.random.default_rng(config.seed + offset + step)
    x = rng.normal(size=(config.batch_size, config.num_features)).astype(np.float32)
    y = (np.sin(3.0 * x @ w) + 0.05 * rng.normal(size=config.batch_size)).astype(np.float32)
    yield {'x': x, 'y': y}
    step += 1
