"""A progress file named only by its configuration key: `os.path.join(run_dir, lg.get("status_file"))`
where the INI file says `status_file = status.json`. The key names the file's role as a file name
would; a write through it is a progress write (held-out numpy_ini), and its guard decides
whether it is periodic. A key for some other file is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import configparser
import json
import os
import sys

import torch


def write_status(path, **fields):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fields, f)
    os.replace(tmp, path)


def main(ini):
    cfg = configparser.ConfigParser()
    cfg.read(ini)
    lg = cfg["logging"]
    status_path = os.path.join("run", lg.get("{key}"))
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    best = float("inf")
    for step in range(1000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if {guard}:
            best = min(best, loss.item())
            write_status(status_path, step=step, loss=loss.item())


if __name__ == "__main__":
    main(sys.argv[1])
"""


def _verdict(root: Path, key: str, guard: str) -> Verdict:
    files = {"README.md": "Train with `python train.py configs/a.ini`.\n",
             "train.py": TRAIN.format(key=key, guard=guard)}
    write(root, files)
    return PROBES["code.progress_written_in_loop"](evidence(root)).verdict


@pytest.mark.parametrize("key, guard, expected", [
    ("status_file", "step % 100 == 0", Verdict.YES),
    ("progress_path", "step % 100 == 0", Verdict.YES),
    ("status_file", "loss.item() < best", Verdict.PARTIAL),
    ("output_file", "step % 100 == 0", Verdict.NO),
])
def test_a_progress_file_named_by_its_configuration_key(tmp_path, key, guard, expected):
    assert _verdict(tmp_path, key, guard) == expected
