"""A rerun asserted to start over is no resume, and a resume test that also checks the first run still is.

Held-out unittest_xml: `run(dir, "--max-steps", "20"); run(dir, "--max-steps", "15")`, then
`assertEqual(steps, list(range(1, 16)))`: the second run logged steps 1..15, a fresh start. It
was a ✅ on auto-resume ("asserts on training continuing from a saved step after a rerun given
no resume option"). The resume test beside it checks the first run's steps from 1 and the
second's from 21 (`list(range(21, 41))`): that one assertion shows the continuation.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import csv
import glob
import os

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run-dir", default="runs/a")
    p.add_argument("--max-steps", type=int, default=100)
    a = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start = 0
    found = sorted(glob.glob(os.path.join(a.run_dir, "ckpt_*.pt")))
    if found:
        state = torch.load(found[-1])
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
    with open(os.path.join(a.run_dir, "metrics.csv"), "a", newline="") as f:
        rows = csv.writer(f)
        for step in range(start + 1, a.max_steps + 1):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            rows.writerow([step, loss.item()])
            if step % 20 == 0:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step},
                           os.path.join(a.run_dir, f"ckpt_{step:06d}.pt"))


if __name__ == "__main__":
    main()
"""

TESTS = """\
import csv
import os
import subprocess
import sys
import tempfile
import unittest


def run(run_dir, *args):
    subprocess.run([sys.executable, "train.py", "--run-dir", run_dir, *args], check=True, timeout=600)


def read_steps(run_dir):
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        return [int(row[0]) for row in csv.reader(f)]


class TrainLoopTest(unittest.TestCase):
    def setUp(self):
        self.run_dir = tempfile.mkdtemp()

    def test_rerun_without_flag_starts_over(self):
        run(self.run_dir, "--max-steps", "20")
        run(self.run_dir, "--max-steps", "15")
        steps = read_steps(self.run_dir)
        self.assertEqual(steps, list(range(1, 16)))
"""

RESUME_TEST = """
    def test_rerun_continues(self):
        run(self.run_dir, "--max-steps", "25")
        run(self.run_dir, "--max-steps", "40")
        steps = read_steps(self.run_dir)
        self.assertEqual(steps[:25], list(range(1, 26)))
        self.assertEqual(steps[25:], list(range(21, 41)))
"""


def _auto(tmp_path, tests: str, names: list[str]):
    cases = "".join(f'<testcase classname="tests.test_train.TrainLoopTest" name="{n}" time="3"/>' for n in names)
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                             "tests/test_train.py": tests, "reports/junit.xml":
                             f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'})
    return PROBES["tests.effect_tested"](ev, effect="resumed", automatic=True, requirement="auto-resume")


def test_a_rerun_asserted_to_start_over_is_no_resume(tmp_path):
    r = _auto(tmp_path, TESTS, ["test_rerun_without_flag_starts_over"])
    assert r.verdict != Verdict.YES, r.summary


def test_a_rerun_asserted_to_continue_is_a_resume_though_it_checks_the_first_run_from_step_1(tmp_path):
    r = _auto(tmp_path, TESTS + RESUME_TEST, ["test_rerun_without_flag_starts_over", "test_rerun_continues"])
    assert r.verdict == Verdict.YES and "test_rerun_continues" in r.summary, r.summary
