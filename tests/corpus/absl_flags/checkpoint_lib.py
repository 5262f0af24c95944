"""Checkpoint files named ckpt_<step>.pt, of which only the newest few are kept."""

import os
import re

from absl import logging
import torch

_NAME = re.compile(r'^ckpt_(\d+)\.pt$')


class CheckpointManager:
  """Saves and restores training state in one directory."""

  def __init__(self, directory, max_to_keep=3):
    self.directory = directory
    self.max_to_keep = max_to_keep
    os.makedirs(directory, exist_ok=True)

  def path_for(self, step):
    return os.path.join(self.directory, f'ckpt_{step}.pt')

  def all_steps(self):
    steps = []
    for name in os.listdir(self.directory):
      match = _NAME.match(name)
      if match:
        steps.append(int(match.group(1)))
    return sorted(steps)

  def latest_step(self):
    steps = self.all_steps()
    return steps[-1] if steps else None

  def save(self, step, state):
    """Writes `state` for `step` atomically, then drops the oldest files."""
    path = self.path_for(step)
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)
    for old in self.all_steps()[:-self.max_to_keep]:
      os.remove(self.path_for(old))
      logging.info('Removed old checkpoint %s', self.path_for(old))
    return path

  def restore(self, step=None):
    """Loads the state saved at `step` (default: the newest one)."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError(f'no checkpoint in {self.directory}')
    return torch.load(self.path_for(step), weights_only=False)
