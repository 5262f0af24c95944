"""A method called on some object is not the test helper of the same name in another file.

Found in this repository's own audit: `jsonschema.Draft4Validator(schema).validate(sarif)` in a
test of report formats was taken for `validate(data)`, a helper of another test file that runs
the trainer's command line, so a test that trains nothing was cited as driving training and
asserting on the progress file and the heartbeat. Tests reach their helpers by bare name
(`validate(path)`), as methods of their own class (`self.run_train()`), or through an imported
module (`helpers.run_train()`); an attribute of anything else (a value, a call's result) is
that object's method, which a static reading cannot follow.
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import json
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    args = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1, 501):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if time.time() - last > 60:
            torch.save({"model": model.state_dict(), "step": step}, f"ckpt_{step}.pt")
            with open("progress.json", "w") as f:
                json.dump({"step": step, "loss": loss.item()}, f)
            last = time.time()


if __name__ == "__main__":
    main()
"""

TEST_INPUTS = """\
import subprocess
import sys


def validate(data_dir):
    return subprocess.run([sys.executable, "train.py", "--data", str(data_dir)], capture_output=True, text=True)


def test_training_accepts_a_data_folder(tmp_path):
    result = validate(tmp_path)
    assert result.returncode == 0
"""

TEST_SCHEMA = """\
import jsonschema

SCHEMA = {"type": "object", "required": ["checkpoint", "progress", "heartbeat"]}


def test_status_document_matches_its_schema():
    doc = {"checkpoint": "ckpt_10.pt", "progress": 0.5, "heartbeat": 1.0, "resumed_from": 10}
    jsonschema.Draft7Validator(SCHEMA).validate(doc)
    assert doc["checkpoint"].endswith(".pt") and doc["resumed_from"] == 10
    assert doc["progress"] == 0.5 and "heartbeat" in doc
"""

TEST_MODULE_HELPER = """\
from tests import runner


def test_training_through_the_runner_module(tmp_path):
    out = runner.validate(tmp_path)
    assert out.returncode == 0
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
         '<testcase classname="tests.test_inputs" name="test_training_accepts_a_data_folder" time="3"/>'
         '<testcase classname="tests.test_schema" name="test_status_document_matches_its_schema" time="0.1"/>'
         '<testcase classname="tests.test_module_helper" name="test_training_through_the_runner_module" time="3"/>'
         '</testsuite></testsuites>')


def _evidence(root: Path) -> Evidence:
    return evidence(root, {"README.md": "Train with `python train.py --data DIR`.\n", "train.py": TRAIN,
                           "tests/__init__.py": "", "tests/test_inputs.py": TEST_INPUTS,
                           "tests/test_schema.py": TEST_SCHEMA, "tests/runner.py": TEST_INPUTS,
                           "tests/test_module_helper.py": TEST_MODULE_HELPER, "reports/junit.xml": JUNIT})


def test_a_method_of_another_object_is_not_a_helper_of_the_same_name(tmp_path):
    tests = {t.name: t for t in _evidence(tmp_path).tests.tests}
    schema = tests["test_status_document_matches_its_schema"]
    assert not schema.drives_entry, schema.drive


def test_helpers_by_bare_name_and_through_a_module_still_drive_training(tmp_path):
    tests = {t.name: t for t in _evidence(tmp_path).tests.tests}
    assert tests["test_training_accepts_a_data_folder"].drives_entry
    assert "validate" in tests["test_training_accepts_a_data_folder"].drive
    assert tests["test_training_through_the_runner_module"].drives_entry, \
        tests["test_training_through_the_runner_module"].drive


def test_effects_asserted_by_a_test_that_trains_nothing_prove_nothing(tmp_path):
    ev = _evidence(tmp_path)
    for effect, rule in (("progress", "progress-file"), ("heartbeat", "heartbeat"), ("resumed", "resume")):
        r = PROBES["tests.effect_tested"](ev, effect=effect, requirement=rule)
        assert r.verdict != Verdict.YES, (effect, r.summary)
