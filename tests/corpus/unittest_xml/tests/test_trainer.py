import csv
import os
import shutil
import tempfile
import time
import unittest

import trainer


def run(run_dir, *extra):
    argv = ["--run-dir", run_dir, "--save-every", "10", "--eval-every", "10"]
    trainer.main(argv + list(extra))


def read_rows(run_dir):
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        return list(csv.DictReader(f))


class TrainLoopTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trainer-test-")
        self.run_dir = os.path.join(self.tmp, "run")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_metrics_csv_has_a_row_per_batch(self):
        run(self.run_dir, "--max-steps", "40")
        rows = read_rows(self.run_dir)
        self.assertEqual([int(r["step"]) for r in rows], list(range(1, 41)))
        for r in rows:
            self.assertGreater(float(r["loss"]), 0.0)
            self.assertTrue(float(r["time"]) > 0)

    def test_resume_flag_continues_from_last_checkpoint(self):
        run(self.run_dir, "--max-steps", "25")
        run(self.run_dir, "--max-steps", "40", "--resume")
        with open(os.path.join(self.run_dir, "train.log")) as f:
            text = f.read()
        self.assertIn("resumed from", text)
        self.assertIn("at step 20", text)
        steps = [int(r["step"]) for r in read_rows(self.run_dir)]
        # first run logged 1..25, second one picks up after the step-20 checkpoint
        self.assertEqual(steps[:25], list(range(1, 26)))
        self.assertEqual(steps[25:], list(range(21, 41)))

    def test_rerun_without_flag_starts_over(self):
        run(self.run_dir, "--max-steps", "20")
        run(self.run_dir, "--max-steps", "15")
        steps = [int(r["step"]) for r in read_rows(self.run_dir)]
        self.assertEqual(steps, list(range(1, 16)))

    @unittest.skip("flaky on CI runners, see docs/testing.md")
    def test_heartbeat_refreshed_during_training(self):
        hb = os.path.join(self.run_dir, "heartbeat")
        run(self.run_dir, "--max-steps", "400", "--read-latency", "0.1")
        # 40 s of training with a 20 s period: the file must be younger than the start
        with open(hb) as f:
            step = int(f.read().split("step=")[1])
        self.assertGreater(step, 0)
        self.assertLess(time.time() - os.path.getmtime(hb), 25)


if __name__ == "__main__":
    unittest.main()
