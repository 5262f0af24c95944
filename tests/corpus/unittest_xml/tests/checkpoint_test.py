import glob
import os
import shutil
import tempfile
import unittest

import trainer


class PeriodicCheckpointTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ckpt-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_checkpoint_every_save_every_steps(self):
        run_dir = os.path.join(self.tmp, "run")
        trainer.main(["--run-dir", run_dir, "--max-steps", "35", "--save-every", "10"])
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(run_dir, "ckpt_step_*.pt")))
        self.assertEqual(names, ["ckpt_step_0000010.pt", "ckpt_step_0000020.pt",
                                 "ckpt_step_0000030.pt"])
        with open(os.path.join(run_dir, "train.log")) as f:
            self.assertEqual(f.read().count("saved "), 3)


if __name__ == "__main__":
    unittest.main()
