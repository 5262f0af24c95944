"""Two training runs in one test are an auto-resume test only when the second run's own state is
asserted on, with no resume request handed to it.

- A test comparing a trained model with an untrained one runs training twice; its step counts are
  settings (`make_config(num_steps=0)`), not a step the second run read back: no resume at all.
- A rerun asserted to start at step 0 (`assertEqual(result["start_step"], 0)`) is a fresh start.
- A rerun through a CLI's `resume` sub-command (`invoke(app, ["resume", cfg])`) asked to resume: a
  resume test, not an auto-resume one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import glob
import os
import sys
import time

import torch


def fit(run_dir, num_steps=100, resume=False):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start = 0
    found = sorted(glob.glob(os.path.join(run_dir, "ckpt_*.pt")))
    if resume and found:
        state = torch.load(found[-1])
        model.load_state_dict(state["model"])
        start = state["step"]
    last = time.time()
    for step in range(start, num_steps):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if time.time() - last > 120:
            torch.save({"model": model.state_dict(), "step": step}, os.path.join(run_dir, f"ckpt_{step}.pt"))
            last = time.time()
    return {"start_step": start, "step": num_steps, "loss": loss.item()}


def main(argv):
    command, run_dir = argv[0], argv[1]
    return fit(run_dir, resume=command == "resume")


if __name__ == "__main__":
    main(sys.argv[1:])
"""

TESTS = {
    "compare": """\
        from lab.train import fit


        def test_learns(tmp_path):
            untrained = fit(tmp_path / "a", num_steps=0)
            trained = fit(tmp_path / "b", num_steps=300)
            assert trained["loss"] < 0.5 * untrained["loss"]
        """,
    "fresh": """\
        import unittest

        from lab.train import fit


        class T(unittest.TestCase):
            def test_rerun(self):
                fit("runs/t", num_steps=40)
                result = fit("runs/t", num_steps=40)
                self.assertEqual(result["start_step"], 0)
        """,
    "subcommand": """\
        from lab.train import main


        def test_resume(tmp_path):
            main(["train", str(tmp_path)])
            result = main(["resume", str(tmp_path)])
            assert result["start_step"] > 0
        """,
}

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase classname="tests.test_rerun" '
         'name="{name}" time="3"/><testcase classname="tests.test_rerun.T" name="{name}" time="3"/>'
         '</testsuite></testsuites>')


def _project(root: Path, kind: str) -> Evidence:
    name = {"compare": "test_learns", "fresh": "test_rerun", "subcommand": "test_resume"}[kind]
    files = {"README.md": "Train with `python -m lab.train train runs/a`.\n", "lab/__init__.py": "",
             "lab/train.py": TRAIN, "tests/test_rerun.py": TESTS[kind], "test-results/junit.xml": JUNIT.format(name=name)}
    write(root, files)
    return evidence(root)


@pytest.mark.parametrize("kind", ["compare", "fresh", "subcommand"])
def test_no_auto_resume_test(tmp_path, kind):
    ev = _project(tmp_path, kind)
    test = ev.tests.tests[0]
    assert test.drives_entry, test.drive  # the cases are about what is asserted, not about driving
    r = PROBES["tests.effect_tested"](ev, effect="resumed", automatic=True, requirement="auto-resume")
    assert r.verdict != Verdict.YES, (kind, r.summary)


def test_a_sub_command_resume_is_a_resume_test(tmp_path):
    ev = _project(tmp_path, "subcommand")
    r = PROBES["tests.effect_tested"](ev, effect="resumed", requirement="resume")
    assert r.verdict == Verdict.YES, r.summary
