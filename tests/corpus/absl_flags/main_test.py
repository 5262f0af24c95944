"""End-to-end: runs main.py in a subprocess. Slow, so only on request."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from absl.testing import absltest

_HERE = os.path.dirname(os.path.abspath(__file__))


@absltest.skipUnless(os.environ.get('RUN_E2E'), 'end-to-end; set RUN_E2E=1')
class MainTest(absltest.TestCase):

  def test_heartbeat_keeps_beating_during_training(self):
    workdir = tempfile.mkdtemp(prefix='main_test_')
    self.addCleanup(shutil.rmtree, workdir)
    subprocess.run(
        [sys.executable, 'main.py', f'--workdir={workdir}',
         '--override=num_steps=40', '--override=simulated_read_latency_ms=50',
         '--override=heartbeat_every_secs=0.25',
         '--override=checkpoint_period=10'],
        cwd=_HERE, check=True)
    with open(os.path.join(workdir, 'heartbeat')) as f:
      beats = [json.loads(line) for line in f]
    self.assertGreaterEqual(len(beats), 4)
    self.assertLen({b['pid'] for b in beats}, 1)


if __name__ == '__main__':
  absltest.main()
