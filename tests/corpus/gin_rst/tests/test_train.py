import json
import os
import re
import shutil
import tempfile
import unittest

import gin

from seqlab import checkpoint
from seqlab.train import train


class _RunDirCase(unittest.TestCase):

    def setUp(self):
        gin.clear_config()
        self.run_dir = tempfile.mkdtemp(prefix="seqlab-test-")

    def tearDown(self):
        gin.clear_config()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def read_log(self):
        with open(os.path.join(self.run_dir, "train.log")) as f:
            return f.read()


class TrainLoopTest(_RunDirCase):

    def test_status_file_and_step_lines(self):
        final = train(run_dir=self.run_dir, max_steps=50)
        self.assertEqual(final, 50)

        with open(os.path.join(self.run_dir, "status.json")) as f:
            status = json.load(f)
        self.assertEqual(status["state"], "finished")
        self.assertEqual(status["step"], 50)
        self.assertIn("loss", status)
        self.assertIn("updated_at", status)

        logged = [int(s) for s in re.findall(r"step (\d+) loss", self.read_log())]
        self.assertEqual(logged, [10, 20, 30, 40, 50])


class ResumeTest(_RunDirCase):

    def test_init_from_continues_at_saved_step(self):
        train(run_dir=self.run_dir, max_steps=30)
        saved = checkpoint.path_for(os.path.join(self.run_dir, "ckpt"), 30)
        self.assertTrue(os.path.exists(saved))

        final = train(run_dir=self.run_dir, max_steps=60, init_from=saved)
        self.assertEqual(final, 60)
        second = self.read_log().split("argv:")[-1]
        self.assertIn("continuing at step 30", second)
        logged = [int(s) for s in re.findall(r"step (\d+) loss", second)]
        self.assertEqual(logged, [40, 50, 60])

    def test_auto_resume_picks_newest(self):
        train(run_dir=self.run_dir, max_steps=20)
        train(run_dir=self.run_dir, max_steps=40, init_from=checkpoint.newest(
            os.path.join(self.run_dir, "ckpt")))
        final = train(run_dir=self.run_dir, max_steps=50, auto_resume=True)
        self.assertEqual(final, 50)
        self.assertIn("continuing at step 40", self.read_log().split("argv:")[-1])


class HeartbeatTest(_RunDirCase):

    @unittest.skip("takes a minute with the real heartbeat period; run by hand before a release")
    def test_heartbeat_keeps_ticking(self):
        gin.bind_parameter("batches.read_latency", 0.05)
        train(run_dir=self.run_dir, max_steps=400, heartbeat_secs=15)
        with open(os.path.join(self.run_dir, "heartbeat.txt")) as f:
            lines = f.read().splitlines()
        self.assertGreaterEqual(len(lines), 3)
