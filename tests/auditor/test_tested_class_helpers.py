"""unittest-style tests that train through their base class's helper, and what they assert.

A common layout: `class TrainCase(unittest.TestCase)` holds `run_train()`, which runs
`subprocess.run([sys.executable, TRAIN, ...])` with `TRAIN = os.path.join(ROOT, "train.py")` a
module constant; `class TestTraining(TrainCase)` has the tests, calling `self.run_train(...)`.
Such a test drives training: the helper is a method of a base class in the same file, and the
script is named by a module constant. And a test that asserts only on evaluation lines
(`"val step (\\d+) loss"`) tests no per-step logging.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import logging
import sys
import time

import torch

logging.basicConfig(filename="train.log", level=logging.INFO)


def main():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1, 1001):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            logging.info("step %d loss %.4f", step, loss.item())
        if step % 100 == 0:
            logging.info("val step %d loss %.4f", step, loss.item())
        if time.time() - last > 120:
            torch.save({"model": model.state_dict(), "step": step}, f"run/ckpt_{step:07d}.pt")
            last = time.time()


if __name__ == "__main__":
    main()
"""

TESTS = """\
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "train.py")


class TrainCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def run_train(self, *args):
        subprocess.run([sys.executable, TRAIN, *args], cwd=self.tmp.name, check=True, timeout=300)
        with open(os.path.join(self.tmp.name, "train.log")) as f:
            return f.read()


class TestTraining(TrainCase):
    def test_snapshots(self):
        self.run_train("--every-seconds", "0.2")
        files = sorted(glob.glob(os.path.join(self.tmp.name, "run", "ckpt_*.pt")))
        self.assertGreaterEqual(len(files), 2)

    def test_validation_reported(self):
        log = self.run_train()
        vals = re.findall(r"val step (\\d+) loss ([\\d.]+)", log)
        self.assertEqual([int(s) for s, _ in vals], [100, 200])
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
         '<testcase classname="tests.test_train.TestTraining" name="test_snapshots" time="3"/>'
         '<testcase classname="tests.test_train.TestTraining" name="test_validation_reported" time="3"/>'
         '</testsuite></testsuites>')


def _evidence(root: Path) -> Evidence:
    files = {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN, "tests/test_train.py": TESTS,
             "reports/junit.xml": JUNIT}
    write(root, files)
    return evidence(root)


def test_a_base_class_helper_running_the_script_named_by_a_constant_drives_training(tmp_path):
    ev = _evidence(tmp_path)
    tests = {t.name: t for t in ev.tests.tests}
    assert tests["test_snapshots"].drives_entry, tests["test_snapshots"].drive
    assert "run_train" in tests["test_snapshots"].drive, tests["test_snapshots"].drive
    r = PROBES["tests.effect_tested"](ev, effect="checkpoints", requirement="periodic-checkpoints")
    assert r.verdict == Verdict.YES, r.summary


def test_evaluation_lines_asserted_are_no_per_step_logging(tmp_path):
    ev = _evidence(tmp_path)
    tests = {t.name: t for t in ev.tests.tests}
    assert "step_log" not in tests["test_validation_reported"].effects, tests["test_validation_reported"].effects
    r = PROBES["tests.effect_tested"](ev, effect="step_log", requirement="batch-monitoring")
    assert r.verdict != Verdict.YES, r.summary


def test_snapshot_lines_asserted_are_no_per_step_logging(tmp_path):
    # `re.findall(r"snapshot step (\d+) -> ", log)` counts saves: a save line, not a per-step log line
    ev = _evidence(tmp_path)
    (tmp_path / "tests" / "test_train.py").write_text(textwrap.dedent(TESTS).replace(
        'files = sorted(glob.glob(os.path.join(self.tmp.name, "run", "ckpt_*.pt")))',
        'files = re.findall(r"snapshot step (\\d+) -> ", self.run_train())'), encoding="utf-8")
    ev = evidence(tmp_path)
    tests = {t.name: t for t in ev.tests.tests}
    assert "step_log" not in tests["test_snapshots"].effects, tests["test_snapshots"].effects
