import json
import os
import shutil
import tempfile
import time
import unittest

import torch

from seqlab import checkpoint, status
from seqlab.model import TinyGRU


class CheckpointFilesTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="seqlab-ckpt-")
        self.model = TinyGRU()
        self.opt = torch.optim.Adam(self.model.parameters())

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_each_save_gets_its_own_file(self):
        checkpoint.save(self.dir, 100, self.model, self.opt)
        checkpoint.save(self.dir, 200, self.model, self.opt)
        self.assertEqual(sorted(os.listdir(self.dir)), ["ckpt-000100.pt", "ckpt-000200.pt"])
        self.assertTrue(checkpoint.newest(self.dir).endswith("ckpt-000200.pt"))

    def test_newest_on_empty_dir(self):
        self.assertIsNone(checkpoint.newest(self.dir))

    def test_restore_round_trip(self):
        path = checkpoint.save(self.dir, 7, self.model, self.opt)
        other = TinyGRU()
        step = checkpoint.restore(path, other, torch.optim.Adam(other.parameters()))
        self.assertEqual(step, 7)
        for a, b in zip(self.model.parameters(), other.parameters()):
            self.assertTrue(torch.equal(a, b))


class SaveTimerTest(unittest.TestCase):

    def test_alarm_raises_flag(self):
        timer = checkpoint.SaveTimer(0.05)
        timer.start()
        try:
            deadline = time.time() + 2
            while not timer.due and time.time() < deadline:
                time.sleep(0.01)
        finally:
            timer.stop()
        self.assertTrue(timer.due)


class StatusFilesTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="seqlab-status-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_write_status_replaces_file(self):
        path = os.path.join(self.dir, "status.json")
        status.write_status(path, step=1)
        status.write_status(path, step=2)
        with open(path) as f:
            self.assertEqual(json.load(f)["step"], 2)
        self.assertEqual(os.listdir(self.dir), ["status.json"])

    def test_beat_appends_a_line(self):
        hb = status.Heartbeat(os.path.join(self.dir, "heartbeat.txt"))
        hb.step = 3
        hb.beat()
        hb.beat()
        with open(hb.path) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].endswith("step 3"))
