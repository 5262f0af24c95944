"""End-to-end tests: they launch real training processes, a few seconds each."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def read_progress(run_dir):
    lines = (Path(run_dir) / "progress.txt").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines)


class TrainRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="sgdlab-run-"))
        self.run_dir = self.tmp / "run"
        self.env = dict(os.environ, PYTHON=sys.executable, RUN_DIR=str(self.run_dir),
                        SAVE_EVERY_SECONDS="1", LOG_EVERY="10", READ_DELAY="0.02",
                        MAX_STEPS="150", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ckpt_steps(self):
        return sorted(int(p.stem.split("_")[1]) for p in (self.run_dir / "ckpt").glob("model_*.pt"))

    def test_train_sh_saves_during_training(self):
        proc = subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        steps = self.ckpt_steps()
        self.assertGreaterEqual(len(steps), 2, steps)
        self.assertEqual(steps[-1], 150)
        self.assertLess(steps[0], 150)

    def test_progress_file_holds_last_step(self):
        proc = subprocess.run([sys.executable, "-m", "sgdlab.train", "--resume", "none"],
                              cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        progress = read_progress(self.run_dir)
        self.assertEqual(progress["step"], "150")
        self.assertGreater(float(progress["loss"]), 0.0)
        self.assertRegex(progress["updated"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

    def test_sigkill_then_same_command_continues(self):
        self.env["MAX_STEPS"] = "300"
        cmd = ["bash", "scripts/train.sh"]
        first = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while not self.ckpt_steps():
            self.assertIsNone(first.poll(), "training ended before its first checkpoint")
            self.assertLess(time.time(), deadline, "no checkpoint after 60 s")
            time.sleep(0.1)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        saved = self.ckpt_steps()[-1]

        second = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        m = re.search(r"resuming from \S+ at step (\d+)", second.stdout)
        self.assertIsNotNone(m, second.stdout)
        self.assertGreaterEqual(int(m.group(1)), saved)
        self.assertGreater(int(m.group(1)), 0)
        self.assertEqual(read_progress(self.run_dir)["step"], "300")


if __name__ == "__main__":
    unittest.main()
