import json
import os
import shutil
import tempfile

from absl.testing import absltest

import metric_writers


class JsonlWriterTest(absltest.TestCase):

  def test_one_line_per_write(self):
    directory = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, directory)
    path = os.path.join(directory, 'metrics.jsonl')
    writer = metric_writers.JsonlWriter(path)
    for step in (25, 50, 75):
      writer.write_scalars(step, {'train_loss': 1.0 / step})
    writer.close()
    with open(path) as f:
      records = [json.loads(line) for line in f]
    self.assertEqual([r['step'] for r in records], [25, 50, 75])
    self.assertAlmostEqual(records[1]['train_loss'], 0.02)

  def test_appends_to_an_existing_file(self):
    directory = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, directory)
    path = os.path.join(directory, 'metrics.jsonl')
    for step in (1, 2):
      writer = metric_writers.JsonlWriter(path)
      writer.write_scalars(step, {'eval_loss': 0.5})
      writer.close()
    with open(path) as f:
      self.assertLen(f.readlines(), 2)


if __name__ == '__main__':
  absltest.main()
