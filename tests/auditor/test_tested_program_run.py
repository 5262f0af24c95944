"""A subprocess starts training only when the program it runs is an interpreter or launcher (python,
sys.executable, torchrun, accelerate, bash, srun, ...), the project's own command, or the script
itself: `subprocess.run(["git", "ls-files", str(SCRIPT)])` names train.py and trains nothing.
Before, any subprocess call in a test whose strings named the training script counted, and a test
asserting on checkpoint files after it could have been a ✅.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.resolve import resolve

TRAIN = """\
import torch


def main():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(100):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        torch.save(model.state_dict(), f"ckpt_{step}.pt")


if __name__ == "__main__":
    main()
"""

TEST = """\
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "train.py"


def test_it(tmp_path):
    {call}
    assert len(list(tmp_path.glob("ckpt_*.pt"))) >= 2
"""


def _drives(root: Path, call: str) -> bool:
    files = {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
             "tests/test_it.py": TEST.format(call=call)}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return Evidence(resolve(load_config(root))).tests.tests[0].drives_entry


@pytest.mark.parametrize("call", [
    'subprocess.run(["git", "ls-files", str(SCRIPT)], check=True)',
    'subprocess.run("wc -l train.py", shell=True, check=True)',
    'subprocess.check_output(["ruff", "check", "train.py"])',
])
def test_another_program_naming_the_script_trains_nothing(tmp_path, call):
    assert not _drives(tmp_path, call)


@pytest.mark.parametrize("call", [
    'subprocess.run([sys.executable, str(SCRIPT)], cwd=tmp_path, check=True)',
    'subprocess.run(["python", "train.py"], cwd=tmp_path, check=True)',
    'subprocess.run("python train.py", shell=True, cwd=tmp_path, check=True)',
    'subprocess.run(["torchrun", "--nproc_per_node=1", "train.py"], cwd=tmp_path, check=True)',
    'cmd = [sys.executable, str(SCRIPT)]\n    subprocess.run(cmd, cwd=tmp_path, check=True)',
])
def test_an_interpreter_or_launcher_running_the_script_trains(tmp_path, call):
    assert _drives(tmp_path, call)
