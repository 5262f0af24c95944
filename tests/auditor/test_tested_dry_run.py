"""A run with `--dry-run` trains nothing: a test that starts one does not drive training.

Found by trying it: `subprocess.run([sys.executable, "train.py", "--dry-run"])`, where the script
writes status.json and exits before its loop, then asserts on status.json. It was a ✅ on the
progress file ("drives training, asserts on the progress file"). The same test without the flag
still drives training; so does a keyword `dry_run=False`.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import json
import time

import torch


def main(argv=None, dry_run=False):
    p = argparse.ArgumentParser()
    p.add_argument("--dry-run", action="store_true")
    a = p.parse_args(argv)
    with open("status.json", "w") as f:
        json.dump({"state": "starting", "step": 0}, f)
    if a.dry_run or dry_run:
        return
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
                json.dump({"state": "running", "step": step, "loss": loss.item()}, f)
            last = time.time()


if __name__ == "__main__":
    main()
"""

TESTS = """\
import json
import subprocess
import sys

import train


def test_status_file_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    RUN
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["step"] >= 0 and status["state"]
"""


def _progress(tmp_path, run: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                             "tests/test_train.py": TESTS.replace("RUN", run), "reports/junit.xml":
                             '<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase '
                             'classname="tests.test_train" name="test_status_file_is_written" time="1"/>'
                             '</testsuite></testsuites>'})
    return PROBES["tests.effect_tested"](ev, effect="progress", requirement="progress-file")


def test_a_dry_run_drives_no_training(tmp_path):
    for run in ('subprocess.run([sys.executable, "train.py", "--dry-run"], check=True)',
                'train.main(["--dry_run"])', "train.main([], dry_run=True)"):
        r = _progress(tmp_path, run)
        assert r.verdict != Verdict.YES, (run, r.summary)


def test_without_the_flag_it_still_drives_training(tmp_path):
    for run in ('subprocess.run([sys.executable, "train.py"], check=True)', "train.main([], dry_run=False)"):
        r = _progress(tmp_path, run)
        assert r.verdict == Verdict.YES, (run, r.summary)
