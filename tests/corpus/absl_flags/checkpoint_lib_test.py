import os
import shutil
import tempfile

from absl.testing import absltest
import torch

import checkpoint_lib


class CheckpointManagerTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = tempfile.mkdtemp(prefix='ckpt_test_')
    self.addCleanup(shutil.rmtree, self.directory)

  def test_keeps_the_newest_files(self):
    manager = checkpoint_lib.CheckpointManager(self.directory, max_to_keep=2)
    for step in (10, 20, 30):
      manager.save(step, {'step': step})
    self.assertEqual(manager.all_steps(), [20, 30])
    self.assertFalse(os.path.exists(manager.path_for(10)))

  def test_latest_step_is_numeric_not_lexical(self):
    manager = checkpoint_lib.CheckpointManager(self.directory, max_to_keep=5)
    for step in (900, 1200):
      manager.save(step, {'step': step})
    self.assertEqual(manager.latest_step(), 1200)

  def test_latest_step_picks_up_files_written_by_another_process(self):
    for step in (120, 240):
      torch.save({'step': step}, os.path.join(self.directory, f'ckpt_{step}.pt'))
    manager = checkpoint_lib.CheckpointManager(self.directory)
    self.assertEqual(manager.latest_step(), 240)
    self.assertEqual(manager.restore()['step'], 240)

  def test_ignores_unrelated_and_partial_files(self):
    for name in ('ckpt_5.pt.tmp', 'notes.txt', 'ckpt_x.pt'):
      open(os.path.join(self.directory, name), 'w').close()
    manager = checkpoint_lib.CheckpointManager(self.directory)
    self.assertIsNone(manager.latest_step())
    with self.assertRaises(FileNotFoundError):
      manager.restore()


if __name__ == '__main__':
  absltest.main()
