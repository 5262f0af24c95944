"""A test that starts training through the project's launch script (`bash scripts/train.sh`) drives
training, as one that runs `python -m pkg.train` does, when that script runs the training entry.

Held-out corpus project shell_env launches with `"$PYTHON" -u -m sgdlab.train "$@"` inside
scripts/train.sh (the interpreter in a variable, as launch scripts often keep it), and its
end-to-end tests run `subprocess.run(["bash", "scripts/train.sh"], ...)`: they were taken for
tests of helpers. A shell script that does not run the entry starts no training.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

TRAIN = """\
import os
import time

import torch


def main():
    run = os.environ.get("RUN_DIR", "runs/dev")
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        if time.time() - last >= 120:
            torch.save({"model": model.state_dict(), "step": step}, f"{run}/ckpt/model_{step}.pt")
            last = time.time()


if __name__ == "__main__":
    main()
"""

LAUNCH = """\
#!/usr/bin/env bash
set -euo pipefail
export RUN_DIR=${RUN_DIR:-runs/dev}
PYTHON=${PYTHON:-python}
mkdir -p "$RUN_DIR/ckpt"
"$PYTHON" -u -m lab.train "$@" 2>&1 | tee -a "$RUN_DIR/stdout.txt"
"""

OTHER = """\
#!/usr/bin/env bash
"$PYTHON" -m lab.report "$@"
"""

TEST = """\
import subprocess
import unittest
from pathlib import Path


class TrainTest(unittest.TestCase):
    def test_saves_during_training(self):
        subprocess.run(["bash", "scripts/{script}"], check=True, timeout=120)
        steps = sorted(int(p.stem.split("_")[1]) for p in Path("runs/dev/ckpt").glob("model_*.pt"))
        self.assertGreaterEqual(len(steps), 2)
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase classname="tests.test_train.TrainTest" '
         'name="test_saves_during_training" time="3"/></testsuite></testsuites>')


def _project(root: Path, script: str) -> Evidence:
    files = {"README.md": "Train with `bash scripts/train.sh`.\n", "lab/__init__.py": "", "lab/train.py": TRAIN,
             "lab/report.py": "print('report')\n", "scripts/train.sh": LAUNCH, "scripts/report.sh": OTHER,
             "tests/test_train.py": TEST.format(script=script), "test-results/junit.xml": JUNIT}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def test_a_test_running_the_launch_script_drives_training(tmp_path):
    ev = _project(tmp_path, "train.sh")
    test = ev.tests.tests[0]
    assert test.drives_entry and "scripts/train.sh" in test.drive, test.drive
    r = PROBES["tests.effect_tested"](ev, effect="checkpoints")
    assert r.verdict == Verdict.YES, r.summary


def test_a_script_that_runs_something_else_drives_nothing(tmp_path):
    ev = _project(tmp_path, "report.sh")
    assert not ev.tests.tests[0].drives_entry, ev.tests.tests[0].drive
