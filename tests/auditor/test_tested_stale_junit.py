"""A JUnit result older than the last edit of the test it reports on says nothing about that test now.

Found by trying it: a test that drove training and asserted on the progress file passed in
reports/junit.xml; the test was then edited (here, to assert nothing about training's files) and
never run again. Its old 'passed' was a ✅. A result written before the test file's last change
(by more than a minute: a checkout gives every file about the same time) is not its result.
"""

from __future__ import annotations

import os
import time

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import json
import time

import torch


def main():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1, 100001):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if time.time() - last > 30:
            with open("status.json", "w") as f:
                json.dump({"state": "running", "step": step}, f)
            last = time.time()


if __name__ == "__main__":
    main()
"""

TESTS = """\
import json
import subprocess
import sys


def test_status_file_is_written(tmp_path):
    subprocess.run([sys.executable, "train.py"], check=True, cwd=tmp_path, timeout=600)
    assert json.loads((tmp_path / "status.json").read_text())["step"] > 0
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase classname="tests.test_train" '
         'name="test_status_file_is_written" time="30"/></testsuite></testsuites>')


def _verdict(tmp_path, junit_age_s: float):
    write(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                     "tests/test_train.py": TESTS, "reports/junit.xml": JUNIT})
    now = time.time()
    os.utime(tmp_path / "reports" / "junit.xml", (now - junit_age_s, now - junit_age_s))
    ev = evidence(tmp_path)
    return PROBES["tests.effect_tested"](ev, effect="progress", requirement="progress-file")


def test_a_result_older_than_the_tests_last_edit_is_not_its_result(tmp_path):
    r = _verdict(tmp_path, 3600)
    assert r.verdict != Verdict.YES, r.summary
    assert "older" in r.summary, r.summary


def test_a_result_from_about_the_same_time_counts(tmp_path):
    r = _verdict(tmp_path, 5)
    assert r.verdict == Verdict.YES, r.summary
