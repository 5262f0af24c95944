"""Tests that run train_lib.train_and_evaluate for a few dozen steps."""

import os
import shutil
import tempfile

from absl.testing import absltest
import torch

import train_lib
from configs import base


def _small_config(**changes):
  config = base.get_config()
  config.simulated_read_latency_ms = 0
  config.num_steps = 60
  config.log_every_steps = 10
  config.eval_every_steps = 30
  config.checkpoint_period = 20
  config.max_checkpoints_to_keep = 10
  config.update(changes)
  return config


class TrainLibTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = tempfile.mkdtemp(prefix='train_lib_test_')
    self.addCleanup(shutil.rmtree, self.workdir)

  def _checkpoints(self):
    return sorted(os.listdir(os.path.join(self.workdir, 'checkpoints')),
                  key=lambda n: int(n[len('ckpt_'):-len('.pt')]))

  def test_checkpoint_every_period(self):
    train_lib.train_and_evaluate(_small_config(), self.workdir)
    self.assertEqual(self._checkpoints(),
                     ['ckpt_20.pt', 'ckpt_40.pt', 'ckpt_60.pt'])

  def test_only_newest_checkpoints_are_kept(self):
    train_lib.train_and_evaluate(
        _small_config(num_steps=100, max_checkpoints_to_keep=2), self.workdir)
    self.assertEqual(self._checkpoints(), ['ckpt_80.pt', 'ckpt_100.pt'])

  def test_student_learns(self):
    config = _small_config(num_steps=300)
    untrained = train_lib.train_and_evaluate(
        _small_config(num_steps=0), tempfile.mkdtemp(dir=self.workdir))
    trained = train_lib.train_and_evaluate(config, self.workdir)
    self.assertLess(trained['eval_loss'], 0.5 * untrained['eval_loss'])

  def test_resume_continues_from_newest_checkpoint(self):
    train_lib.train_and_evaluate(_small_config(num_steps=40), self.workdir)
    result = train_lib.train_and_evaluate(
        _small_config(num_steps=80), self.workdir, resume=True)
    self.assertEqual(result['start_step'], 40)
    self.assertEqual(result['step'], 80)
    state = torch.load(os.path.join(self.workdir, 'checkpoints', 'ckpt_80.pt'),
                       weights_only=False)
    # Adam counts its own steps: 40 before the restart plus 40 after it.
    adam_steps = {int(s['step']) for s in state['optimizer']['state'].values()}
    self.assertEqual(adam_steps, {80})

  def test_without_resume_starts_from_zero(self):
    train_lib.train_and_evaluate(_small_config(num_steps=40), self.workdir)
    result = train_lib.train_and_evaluate(_small_config(num_steps=40),
                                          self.workdir)
    self.assertEqual(result['start_step'], 0)


if __name__ == '__main__':
  absltest.main()
