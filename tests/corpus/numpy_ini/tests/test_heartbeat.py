import os
import tempfile
import time
import unittest

from mlp.heartbeat import Heartbeat


class TestHeartbeat(unittest.TestCase):
    def test_file_keeps_being_rewritten(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "heartbeat")
            steps = iter(range(1000))
            beat = Heartbeat(path, 0.05, lambda: next(steps))
            beat.start()
            seen = set()
            deadline = time.time() + 2
            while len(seen) < 4 and time.time() < deadline:
                with open(path) as f:
                    seen.add(f.read())
                time.sleep(0.01)
            beat.stop()
            self.assertGreaterEqual(len(seen), 4)
            self.assertIn("pid=", next(iter(seen)))

    def test_stop_ends_the_timer_chain(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "heartbeat")
            beat = Heartbeat(path, 0.05, lambda: 0)
            beat.start()
            time.sleep(0.12)
            beat.stop()
            time.sleep(0.06)
            before = os.stat(path).st_mtime_ns
            time.sleep(0.2)
            self.assertEqual(os.stat(path).st_mtime_ns, before)


if __name__ == "__main__":
    unittest.main()
