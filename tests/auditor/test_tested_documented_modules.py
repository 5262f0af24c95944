"""A documented `python -m pkg.x` command starts training only when that module reaches a training
loop: a test that runs a documented report or export module and then asserts on checkpoint files
has not shown that training saves them.

Discovery lists every module a document runs (`python -m lab.report` beside `python -m lab.train`),
ranked, and the tests column took all of them as training targets: a test of the report tool that
reads a checkpoint folder the fixture filled would have made "Tested?" a ✅ with no training run.
A package whose `__main__` reaches the loop through a chain of imports still counts. And a function
of the project named `run` that trains (lab/cli.py's) is not what `subprocess.run(...)` calls.
"""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

LOOP = """\
import time

import torch


def fit(run):
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
"""

REPORT = """\
import json
import sys
from pathlib import Path


def main():
    run = Path(sys.argv[1])
    steps = sorted(p.name for p in (run / "ckpt").glob("model_*.pt"))
    print(json.dumps({"checkpoints": steps}))


if __name__ == "__main__":
    main()
"""

TEST = """\
import subprocess
import sys
from pathlib import Path


def test_checkpoints_listed(tmp_path):
    (tmp_path / "ckpt").mkdir()
    for step in (100, 200):
        (tmp_path / "ckpt" / f"model_{{step}}.pt").write_bytes(b"x")
    subprocess.run([sys.executable, "-m", "{module}", str(tmp_path)], check=True, timeout=120)
    steps = sorted(int(p.stem.split("_")[1]) for p in (tmp_path / "ckpt").glob("model_*.pt"))
    assert len(steps) >= 2
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase classname="tests.test_cli" '
         'name="test_checkpoints_listed" time="3"/></testsuite></testsuites>')


def _project(root: Path, module: str, layout: dict[str, str]) -> Evidence:
    files = {"README.md": "Train with `python -m lab.train runs/a`, then list with `python -m lab.report runs/a`.\n",
             "lab/__init__.py": "", "lab/report.py": REPORT, "tests/test_cli.py": TEST.format(module=module),
             "test-results/junit.xml": JUNIT, **layout}
    write(root, files)
    return evidence(root)


DIRECT = {"lab/train.py": LOOP + "\n\nif __name__ == '__main__':\n    import sys\n    fit(sys.argv[1])\n"}

# lab.train -> lab.cli -> lab.engine (the loop): two imports away from the documented module
CHAIN = {"lab/engine.py": LOOP,
         "lab/cli.py": "import sys\n\nfrom lab import engine\n\n\ndef run():\n    engine.fit(sys.argv[1])\n",
         "lab/train.py": "from lab.cli import run\n\nif __name__ == '__main__':\n    run()\n"}


def test_a_test_of_a_documented_report_module_drives_no_training(tmp_path):
    ev = _project(tmp_path, "lab.report", DIRECT)
    test = ev.tests.tests[0]
    assert not test.drives_entry, test.drive
    r = PROBES["tests.effect_tested"](ev, effect="checkpoints")
    assert r.verdict != Verdict.YES, r.summary


def test_the_documented_training_module_still_drives_training(tmp_path):
    ev = _project(tmp_path, "lab.train", DIRECT)
    assert ev.tests.tests[0].drives_entry and "lab.train" in ev.tests.tests[0].drive, ev.tests.tests[0].drive


def test_a_module_that_reaches_the_loop_through_imports_drives_training(tmp_path):
    ev = _project(tmp_path / "a", "lab.train", CHAIN)
    assert ev.tests.tests[0].drives_entry, ev.tests.tests[0].drive
    ev = _project(tmp_path / "b", "lab.report", CHAIN)
    assert not ev.tests.tests[0].drives_entry, ev.tests.tests[0].drive
