"""Checkpoint files a test makes itself before it starts training are not training's: a test that
touches ckpt_100.pt, ckpt_200.pt and ckpt_300.pt, runs training for zero epochs and asserts that two
or more ckpt_*.pt exist shows nothing about saves. Its checkpoint effect does not count; a test that
writes into a checkpoint after training (to corrupt it, say) still asserts on what training saved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(args.epochs):
        for step in range(100):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            opt.step()
        torch.save({"model": model.state_dict()}, f"ckpt_{epoch}.pt")


if __name__ == "__main__":
    main()
"""

TEST = """\
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_checkpoints(tmp_path):
    {before}
    subprocess.run([sys.executable, str(ROOT / "train.py"), "--epochs", "3"], cwd=tmp_path, check=True)
    {after}
    assert len(list(tmp_path.glob("ckpt_*.pt"))) >= 2
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase classname="tests.test_train" '
         'name="test_checkpoints" time="3"/></testsuite></testsuites>')


def _verdict(root: Path, before: str, after: str) -> Verdict:
    ev = evidence(root, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                         "tests/test_train.py": TEST.format(before=before, after=after), "reports/junit.xml": JUNIT})
    return PROBES["tests.effect_tested"](ev, effect="checkpoints", requirement="periodic-checkpoints").verdict


@pytest.mark.parametrize("before", [
    'for step in (100, 200, 300):\n        (tmp_path / f"ckpt_{step}.pt").touch()',
    '(tmp_path / "ckpt_1.pt").write_bytes(b"x")\n    (tmp_path / "ckpt_2.pt").write_bytes(b"x")',
])
def test_checkpoints_the_test_planted_do_not_count(tmp_path, before):
    assert _verdict(tmp_path, before, "pass") != Verdict.YES


def test_a_checkpoint_written_to_after_training_still_counts(tmp_path):
    after = 'sorted(tmp_path.glob("ckpt_*.pt"))[-1].write_bytes(b"torn")'
    assert _verdict(tmp_path, "pass", after) == Verdict.YES
