import json
import os
import shutil
import tempfile
import time

from absl.testing import absltest

import heartbeat


class HeartbeatTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = tempfile.mkdtemp(prefix='heartbeat_test_')
    self.addCleanup(shutil.rmtree, self.directory)

  def test_beats_on_its_own_clock(self):
    path = os.path.join(self.directory, 'heartbeat')
    beat = heartbeat.Heartbeat(path, every_secs=0.05)
    beat.start()
    time.sleep(0.5)  # the main thread does nothing meanwhile
    beat.stop()
    with open(path) as f:
      records = [json.loads(line) for line in f]
    self.assertGreaterEqual(len(records), 4)
    self.assertEqual({r['pid'] for r in records}, {os.getpid()})
    times = [r['time'] for r in records]
    self.assertEqual(times, sorted(times))

  def test_stop_ends_the_thread(self):
    beat = heartbeat.Heartbeat(os.path.join(self.directory, 'hb'), 0.05)
    beat.start()
    beat.stop()
    self.assertFalse(beat.is_alive())


if __name__ == '__main__':
  absltest.main()
