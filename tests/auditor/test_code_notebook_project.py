"""A project that trains in a Jupyter notebook: discovery finds `train.ipynb` as its training code
and entry, and the code column reads its code cells, citing the notebook file's own lines (held-out
nb_drive's style: Colab and Jupyter servers).
"""

from __future__ import annotations

import json
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

CELLS = [
    ("markdown", "# Training\nRun all cells. Checkpoints go to `drive/ckpt/` every two minutes.\n"),
    ("code", "%pip install -q torch\nimport glob, json, os, time\nimport torch\nfrom helpers import make_model\n"),
    ("code", "model = make_model()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nstart = 0\n"
             "found = sorted(glob.glob('drive/ckpt/ckpt_*.pt'))\nif found:\n    state = torch.load(found[-1])\n"
             "    model.load_state_dict(state['model'])\n    opt.load_state_dict(state['opt'])\n"
             "    start = state['step']\n"),
    ("code", "last = time.time()\nfor step in range(start, 100000):\n"
             "    loss = model(torch.randn(8, 4)).pow(2).mean()\n    loss.backward()\n    opt.step()\n"
             "    if time.time() - last >= 120:\n"
             "        torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': step},\n"
             "                   f'drive/ckpt/ckpt_{step:07d}.pt')\n        last = time.time()\n"),
]


def _project(root: Path) -> Evidence:
    cells = [{"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True),
              **({"execution_count": None, "outputs": []} if kind == "code" else {})} for kind, text in CELLS]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (root / "train.ipynb").write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (root / "helpers.py").write_text("import torch\n\n\ndef make_model():\n    return torch.nn.Linear(4, 1)\n")
    (root / "README.md").write_text("Open train.ipynb and run all cells.\n")
    return Evidence(resolve(load_config(root)))


def _line_of(root: Path, text: str) -> int:
    lines = (root / "train.ipynb").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_the_notebook_is_the_training_code_and_its_lines_are_cited(tmp_path):
    ev = _project(tmp_path)
    assert "train.ipynb" in ev.code.files, ev.code.files
    r = PROBES["code.checkpoint_saved_in_loop"](ev)
    assert r.verdict == Verdict.YES, r.summary
    cite = r.citations[0]
    assert cite.source == "train.ipynb" and cite.line == _line_of(tmp_path, "torch.save("), cite
    r = PROBES["code.checkpoint_interval"](ev, min_s=60, max_s=300)
    assert r.verdict == Verdict.YES, r.summary
    r = PROBES["code.auto_resume"](ev)
    assert r.verdict == Verdict.YES, r.summary


def test_a_broken_notebook_is_one_error_entry(tmp_path):
    ev = _project(tmp_path)
    (tmp_path / "other.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "a = 1\\nb = 2"}]}')
    ev = Evidence(resolve(load_config(tmp_path)))
    assert any("other.ipynb" in e for e in ev.code.errors), ev.code.errors
    assert PROBES["code.checkpoint_saved_in_loop"](ev).verdict == Verdict.YES


def test_a_notebook_with_large_outputs_is_read(tmp_path):
    # plots and tables saved in a notebook's outputs make it megabytes; its code cells are what is read
    _project(tmp_path)
    nb = json.loads((tmp_path / "train.ipynb").read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                  "data": {"image/png": "iVBORw0KGgo" * 400_000}}]
    (tmp_path / "train.ipynb").write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert (tmp_path / "train.ipynb").stat().st_size > 4_000_000
    ev = Evidence(resolve(load_config(tmp_path)))
    assert not ev.code.errors, ev.code.errors
    assert PROBES["code.checkpoint_saved_in_loop"](ev).verdict == Verdict.YES
