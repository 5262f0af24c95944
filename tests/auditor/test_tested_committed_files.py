"""Checkpoint files a test finds beside itself, in the repository, are not what training wrote.

Found by trying it: a test runs `python train.py` in tmp_path and then asserts that
`Path(__file__).parent / "fixtures" / "sample_run"` holds three or more ckpt_*.pt. Those are
files committed with the tests; training wrote elsewhere. It was a ✅ on periodic checkpoints.
A path rooted at the test file that training is told to write to (`--out OUT`, OUT built from
`__file__`) is still training's.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import os
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=".")
    args = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(100000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if time.time() - last > 120:
            torch.save({"model": model.state_dict(), "step": step}, os.path.join(args.out, f"ckpt_{step}.pt"))
            last = time.time()


if __name__ == "__main__":
    main()
"""

TESTS = """\
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE / "fixtures" / "sample_run"
OUT = HERE / "out"


def test_periodic_checkpoints(tmp_path):
    subprocess.run([sys.executable, "train.py", RUN_ARGS], check=True, timeout=600)
    files = sorted(WHERE.glob("ckpt_*.pt"))
    assert len(files) >= 3
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
         '<testcase classname="tests.test_train" name="test_periodic_checkpoints" time="30"/>'
         '</testsuite></testsuites>')


def _verdict(tmp_path, run_args: str, where: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                             "tests/test_train.py": TESTS.replace("RUN_ARGS", run_args).replace("WHERE", where),
                             "reports/junit.xml": JUNIT})
    return PROBES["tests.effect_tested"](ev, effect="checkpoints", requirement="periodic-checkpoints")


def test_checkpoints_committed_beside_the_test_are_not_trainings(tmp_path):
    r = _verdict(tmp_path, '"--out", str(tmp_path)', "SAMPLE")
    assert r.verdict != Verdict.YES, r.summary


def test_a_folder_beside_the_test_that_training_writes_to_is_trainings(tmp_path):
    r = _verdict(tmp_path, '"--out", str(OUT)', "OUT")
    assert r.verdict == Verdict.YES, r.summary


def test_the_folder_training_was_given_is_trainings(tmp_path):
    r = _verdict(tmp_path, '"--out", str(tmp_path)', "tmp_path")
    assert r.verdict == Verdict.YES, r.summary
