"""End-to-end: run train.py in a subprocess on a tiny config.

train.py sets up logging at import time and writes train.log into the current directory,
so every run here gets its own temporary working directory.
"""

import configparser
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "train.py")

TINY = {
    "data": {"n_features": "8", "n_classes": "3", "n_train": "512", "n_val": "128",
             "label_noise": "0.0", "seed": "7"},
    "model": {"hidden": "16", "init_scale": "1.0"},
    "train": {"seed": "1", "batch_size": "32", "lr": "0.05", "momentum": "0.9",
              "weight_decay": "0.0", "max_steps": "400", "eval_every": "100"},
    "checkpoint": {"dir": "run", "every_seconds": "120"},
    "logging": {"level": "INFO", "log_every": "50", "heartbeat_seconds": "30",
                "heartbeat_file": "heartbeat", "status_file": "status.json"},
}


class TrainCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cwd = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_train(self, *args, name="tiny.ini", **overrides):
        cfg = configparser.ConfigParser()
        cfg.read_dict(TINY)
        for key, value in overrides.items():
            section, option = key.split("__")
            cfg[section][option] = str(value)
        with open(os.path.join(self.cwd, name), "w") as f:
            cfg.write(f)
        env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
        proc = subprocess.run([sys.executable, TRAIN, "--config", name, *args], cwd=self.cwd,
                              env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return self.log()

    def log(self):
        with open(os.path.join(self.cwd, "train.log")) as f:
            return f.read()

    def snapshots(self):
        return sorted(glob.glob(os.path.join(self.cwd, "run", "ckpt_*.npz")))


class TestTraining(TrainCase):
    def test_snapshots_follow_the_clock(self):
        log = self.run_train(train__max_steps=40000, checkpoint__every_seconds=0.2)
        periodic = re.findall(r"snapshot step (\d+) -> ", log)
        self.assertGreaterEqual(len(periodic), 2)
        files = self.snapshots()
        # every periodic snapshot plus the final one is on disk
        self.assertEqual(len(files), len(periodic) + 1)
        self.assertEqual([int(s) for s in periodic], sorted(int(s) for s in periodic))
        self.assertTrue(files[-1].endswith("ckpt_0040000.npz"))

    def test_resume_matches_uninterrupted_run(self):
        straight = self.run_train(train__max_steps=400, checkpoint__dir="straight")
        self.assertNotIn("resumed", straight)

        self.run_train(train__max_steps=200, checkpoint__dir="split")
        log = self.run_train("--resume", train__max_steps=400, checkpoint__dir="split")
        self.assertRegex(log, r"resumed from split/ckpt_0000200\.npz at step 200")
        second_half = log.split("resumed from")[-1]
        self.assertEqual(re.findall(r"val step (\d+) ", second_half), ["300", "400"])

        a = np.load(os.path.join(self.cwd, "straight", "ckpt_0000400.npz"))
        b = np.load(os.path.join(self.cwd, "split", "ckpt_0000400.npz"))
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)

    def test_validation_reported(self):
        log = self.run_train()
        vals = re.findall(r"val step (\d+) loss ([\d.]+) acc ([\d.]+)", log)
        self.assertEqual([int(s) for s, _, _ in vals], [100, 200, 300, 400])
        self.assertTrue(all(0.0 <= float(acc) <= 1.0 for _, _, acc in vals))

    def test_status_file_holds_best_validation(self):
        log = self.run_train()
        vals = [(int(s), float(v)) for s, v in re.findall(r"val step (\d+) loss ([\d.]+)", log)]
        with open(os.path.join(self.cwd, "run", "status.json")) as f:
            status = json.load(f)
        best_step, best_loss = min(vals, key=lambda sv: sv[1])
        self.assertEqual(status["step"], best_step)
        self.assertAlmostEqual(status["best_val_loss"], best_loss, places=3)


if __name__ == "__main__":
    unittest.main()
