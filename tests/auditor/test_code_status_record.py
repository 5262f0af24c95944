"""A status record rewritten from the loop is a progress file whatever the file is called:
`write_metrics(cfg["metrics"], {"status": "running", "chunk": done, "rows_seen": n, ...})` every
`report_every` chunks, the helper rewriting metrics.json in place (held-out sk_stream). A record with
a status and a position (step, epoch, chunk) says how far training is; a metrics dump without a
status is not one, nor a tracker's `run.log({...})`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import json
import os

import torch


def write_metrics(path, values):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(values, f)
    os.replace(tmp, path)


def train(out="metrics.json"):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(1, 1001):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            write_metrics(out, {record})


if __name__ == "__main__":
    train()
"""


@pytest.mark.parametrize("record, expected", [
    ('{"status": "running", "step": step, "loss": loss.item()}', Verdict.YES),
    ('{"loss": loss.item(), "lr": 0.1}', Verdict.NO),
])
def test_a_status_record_rewritten_in_the_loop_is_a_progress_file(tmp_path: Path, record, expected):
    ev = evidence(tmp_path, {"README.md": "Run `python train.py`.\n", "train.py": TRAIN.format(record=record)})
    assert PROBES["code.progress_written_in_loop"](ev).verdict == expected
