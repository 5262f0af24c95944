"""A test that calls a function named like the one that trains, imported from another module of the
project, starts no training: `from lab.vocab import train` builds a vocabulary, whatever it saves.

The tests column matched training functions by their short name only, so calling lab/vocab.py's
`train()` drove "training" as lab/engine.py's `train()` does, and a test asserting on the files it
wrote could have made "Tested?" a ✅. The same function imported from its own module, from the
package that re-exports it, or from the script by its bare name (a test that puts scripts/ on
sys.path) still drives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from tests.auditor.projects import evidence, write

ENGINE = """\
import time

import torch


def train(run):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if time.time() - last >= 120:
            torch.save({"model": model.state_dict()}, f"{run}/ckpt/model_{step}.pt")
            last = time.time()


if __name__ == "__main__":
    train("runs/a")
"""

VOCAB = """\
import json


def train(texts, out):
    vocab = sorted({w for t in texts for w in t.split()})
    with open(f"{out}/vocab_ckpt_1.json", "w") as f:
        json.dump(vocab, f)
"""

TEST = """\
{imports}


def test_files_written(tmp_path):
    {call}(["a b", "b c"], tmp_path)
    assert len(list(tmp_path.glob("*ckpt*"))) >= 2
"""


def _drives(root: Path, imports: str, call: str, engine_at: str = "lab/engine.py") -> bool:
    files = {"README.md": f"Train with `python {engine_at}`.\n", "lab/__init__.py": "from lab.engine import train\n",
             engine_at: ENGINE, "lab/vocab.py": VOCAB, "tests/test_files.py": TEST.format(imports=imports, call=call)}
    write(root, files)
    return evidence(root).tests.tests[0].drives_entry


@pytest.mark.parametrize("imports, call", [
    ("from lab.vocab import train", "train"),
    ("from lab import vocab", "vocab.train"),
    ("import lab.vocab as v", "v.train"),
])
def test_a_same_named_function_of_another_module_drives_nothing(tmp_path, imports, call):
    assert not _drives(tmp_path, imports, call)


@pytest.mark.parametrize("imports, call", [
    ("from lab.engine import train", "train"),
    ("from lab import engine", "engine.train"),
    ("from lab import train", "train"),  # the package re-exports it
])
def test_the_training_function_still_drives_training(tmp_path, imports, call):
    assert _drives(tmp_path, imports, call)


def test_a_script_imported_by_its_bare_name_still_drives_training(tmp_path):
    assert _drives(tmp_path, "import sys\nsys.path.insert(0, 'scripts')\nfrom engine import train", "train",
                   engine_at="scripts/engine.py")


def test_a_src_folder_imported_as_a_package_still_drives_training(tmp_path):
    # `from src.train import train` where src/ has an __init__.py (the Lightning-Hydra template's layout)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__init__.py").write_text("")
    assert _drives(tmp_path, "from src.engine import train", "train", engine_at="src/engine.py")
