import os
import shutil
import tempfile
import time
import unittest

import torch

from utils.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from utils.heartbeat import Heartbeat
from utils.status import read_status, write_status


class _TmpDirCase(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="utils-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp)


class CheckpointHelpersTest(_TmpDirCase):

    def _model_and_opt(self):
        model = torch.nn.Linear(4, 1)
        return model, torch.optim.SGD(model.parameters(), lr=0.1)

    def test_latest_picks_highest_step(self):
        model, opt = self._model_and_opt()
        for step in (900, 10000, 2000):
            save_checkpoint(self.tmp, step, model, opt)
        self.assertTrue(latest_checkpoint(self.tmp).endswith("ckpt_step_0010000.pt"))

    def test_latest_is_none_in_empty_dir(self):
        self.assertIsNone(latest_checkpoint(self.tmp))

    def test_roundtrip_restores_weights_and_step(self):
        model, opt = self._model_and_opt()
        path = save_checkpoint(self.tmp, 7, model, opt)
        other, other_opt = self._model_and_opt()
        self.assertEqual(load_checkpoint(path, other, other_opt), 7)
        self.assertTrue(torch.equal(model.weight, other.weight))


class StatusFileTest(_TmpDirCase):

    def test_write_status_replaces_file(self):
        path = os.path.join(self.tmp, "status.json")
        write_status(path, state="running", step=25)
        write_status(path, state="running", step=50)
        status = read_status(path)
        self.assertEqual(status["step"], 50)
        self.assertEqual(status["state"], "running")
        self.assertIn("updated", status)
        self.assertFalse(os.path.exists(path + ".tmp"))


class HeartbeatTest(_TmpDirCase):

    def test_thread_rewrites_file(self):
        path = os.path.join(self.tmp, "heartbeat")
        hb = Heartbeat(path, every=0.2)
        hb.start()
        try:
            time.sleep(0.5)
            first = os.path.getmtime(path)
            time.sleep(0.5)
            self.assertGreater(os.path.getmtime(path), first)
        finally:
            hb.stop()
            hb.join(2)


if __name__ == "__main__":
    unittest.main()
