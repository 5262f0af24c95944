import shutil
import tempfile
import unittest
from pathlib import Path

import torch

from sgdlab import ckpt
from sgdlab.train import format_step, parse_args, resolve_resume


class CheckpointFilesTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sgdlab-ckpt-"))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_save_atomic_leaves_no_temp_file(self):
        ckpt.save_atomic({"step": 7, "w": torch.zeros(3)}, ckpt.ckpt_path(self.dir, 7))
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["model_7.pt"])
        self.assertEqual(ckpt.load(self.dir / "model_7.pt")["step"], 7)

    def test_latest_is_by_step_not_by_name(self):
        for step in (9, 80, 100):
            ckpt.save_atomic({"step": step}, ckpt.ckpt_path(self.dir, step))
        (self.dir / "model_500.pt.tmp").write_bytes(b"half written")
        self.assertEqual(ckpt.latest(self.dir).name, "model_100.pt")

    def test_prune_keeps_last_three(self):
        for step in (10, 20, 30, 40, 50):
            ckpt.save_atomic({"step": step}, ckpt.ckpt_path(self.dir, step))
        ckpt.prune(self.dir, keep=3)
        self.assertEqual([s for s, _ in ckpt.list_checkpoints(self.dir)], [30, 40, 50])

    def test_latest_of_missing_dir_is_none(self):
        self.assertIsNone(ckpt.latest(self.dir / "nope"))


class ResumeOptionTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sgdlab-resume-"))
        ckpt.save_atomic({"step": 40}, ckpt.ckpt_path(self.dir, 40))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_default_is_auto(self):
        self.assertEqual(parse_args([]).resume, "auto")

    def test_auto_none_and_path(self):
        self.assertEqual(resolve_resume("auto", self.dir).name, "model_40.pt")
        self.assertIsNone(resolve_resume("none", self.dir))
        self.assertEqual(resolve_resume("/x/model_3.pt", self.dir), Path("/x/model_3.pt"))


class LogFormatTest(unittest.TestCase):
    def test_step_line(self):
        self.assertEqual(format_step(120, 0.123456), "it 120 loss 0.1235")


if __name__ == "__main__":
    unittest.main()
