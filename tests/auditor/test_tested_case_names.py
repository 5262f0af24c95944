"""A unittest.TestCase subclass is a test class whatever its name, as pytest and unittest collect it.

Held-out gin_rst: `class TrainLoopTest(_RunDirCase)` with `class _RunDirCase(unittest.TestCase)`
in the same file. Neither name starts with "Test" and the base's name does not end in
"TestCase", so the tests that drive training were never read, and the project's tests were said
to "exercise helpers" only. pytest collects a TestCase subclass by its base, not by its name.
A plain helper class that is not a TestCase (`class Recorder`) holds no tests.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import json
import os
import time

import torch


def train(run_dir, max_steps=1000):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    with open(os.path.join(run_dir, "train.log"), "a") as log:
        for step in range(1, max_steps + 1):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            log.write(f"step {step} loss {loss.item():.4f}\\n")
            if time.time() - last > 30:
                with open(os.path.join(run_dir, "status.json"), "w") as f:
                    json.dump({"step": step, "loss": loss.item()}, f)
                last = time.time()
    return max_steps


if __name__ == "__main__":
    train("runs/a")
"""

TESTS = """\
import json
import os
import shutil
import tempfile
import unittest

from lab.train import train


class _RunDirCase(unittest.TestCase):
    def setUp(self):
        self.run_dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.run_dir, ignore_errors=True)


class TrainLoopTest(_RunDirCase):
    def test_status_file_written(self):
        self.assertEqual(train(run_dir=self.run_dir, max_steps=50), 50)
        with open(os.path.join(self.run_dir, "train.log")) as f:
            self.assertIn("step 50 loss", f.read())


class Recorder:
    def test_like_name_but_no_test(self):
        return train(run_dir="x")
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
         '<testcase classname="tests.test_train.TrainLoopTest" name="test_status_file_written" time="1"/>'
         '</testsuite></testsuites>')


def test_a_testcase_subclass_by_a_base_of_the_same_file_is_read_and_drives_training(tmp_path):
    ev = evidence(tmp_path, {"README.md": "Train with `python -m lab.train`.\n", "lab/__init__.py": "",
                             "lab/train.py": TRAIN, "tests/test_train.py": TESTS, "reports/junit.xml": JUNIT})
    tests = {t.id: t for t in ev.tests.tests}
    found = tests.get("tests/test_train.py::TrainLoopTest::test_status_file_written")
    assert found is not None, sorted(tests)
    assert found.drives_entry and found.outcome == "passed", (found.drive, found.outcome)
    assert not any("Recorder" in i for i in tests), sorted(tests)
    r = PROBES["tests.effect_tested"](ev, effect="step_log", requirement="batch-monitoring")
    assert r.verdict == Verdict.YES, r.summary
