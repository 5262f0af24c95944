"""Flax model definitions."""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp


class MLP(nn.Module):
  """A plain multilayer perceptron with a scalar output."""

  hidden_sizes: Sequence[int]

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    for size in self.hidden_sizes:
      x = nn.gelu(nn.Dense(size)(x))
    return nn.Dense(1)(x)[..., 0]
