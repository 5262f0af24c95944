"""The student MLP and the frozen teacher it learns to imitate."""

import torch
from torch import nn


class MLP(nn.Module):
  """Tanh MLP with a scalar output."""

  def __init__(self, input_dim, hidden_dims):
    super().__init__()
    layers, width = [], input_dim
    for hidden in hidden_dims:
      layers += [nn.Linear(width, hidden), nn.Tanh()]
      width = hidden
    layers.append(nn.Linear(width, 1))
    self.net = nn.Sequential(*layers)

  def forward(self, x):
    return self.net(x).squeeze(-1)


def make_teacher(config):
  """A randomly initialised, frozen network; its outputs are the targets."""
  generator_state = torch.random.get_rng_state()
  torch.manual_seed(config.seed + 1)
  teacher = MLP(config.input_dim, (config.teacher_hidden,))
  torch.random.set_rng_state(generator_state)
  for p in teacher.parameters():
    p.requires_grad_(False)
  return teacher.eval()
