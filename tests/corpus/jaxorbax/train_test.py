"""Tests for train.py: short runs on CPU in a temporary workdir."""

from absl.testing import absltest
from etils import epath
import jax

import train
from configs import default


def _tiny_config(**overrides):
  config = default.get_config()
  config.batch_size = 8
  config.hidden_sizes = (8,)
  config.num_features = 4
  config.num_eval_batches = 1
  config.eval_every_steps = 10
  config.log_every_steps = 5
  config.update(overrides)
  return config


def _checkpoint_steps(workdir):
  ckpt_dir = epath.Path(workdir) / 'checkpoints'
  return sorted(int(p.name) for p in ckpt_dir.iterdir() if p.name.isdigit())


class TrainTest(absltest.TestCase):

  def test_checkpoints_every_interval(self):
    workdir = self.create_tempdir().full_path
    config = _tiny_config(num_train_steps=30, checkpoint_every_steps=10, max_checkpoints_to_keep=5)
    state = train.train_and_evaluate(config, workdir)
    self.assertEqual(int(state.step), 30)
    self.assertEqual(_checkpoint_steps(workdir), [10, 20, 30])

  def test_rerun_restores_latest_step(self):
    workdir = self.create_tempdir().full_path
    train.train_and_evaluate(_tiny_config(num_train_steps=20, checkpoint_every_steps=10), workdir)
    with self.assertLogs('absl', level='INFO') as logs:
      state = train.train_and_evaluate(
          _tiny_config(num_train_steps=40, checkpoint_every_steps=10), workdir)
    self.assertIn('Restored checkpoint from step 20', '\n'.join(logs.output))
    self.assertIn('Starting training loop at step 21.', '\n'.join(logs.output))
    self.assertEqual(int(state.step), 40)
    self.assertEqual(_checkpoint_steps(workdir), [20, 30, 40])


if __name__ == '__main__':
  jax.config.update('jax_platforms', 'cpu')
  absltest.main()
