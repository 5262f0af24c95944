"""A status record bound to a name first, then written, is still a status record.

Held-out systemd_svc: `state = {"phase": phase, "step": self.step, "loss": loss, ...}`, then
`tmp.write_text(json.dumps(state))` and `os.replace(tmp, self.s.state_file)`, every
`state_every` steps of the loop. The file's name comes from a settings property the analysis
cannot follow, and the record was only recognised when written literally. A record of a
phase (or status, or state) and the step is how far training is; a mapping of metrics alone is not.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import json
import os
import time
from pathlib import Path

import torch


class Settings:
    def __init__(self, root):
        self.root = Path(root)

    @property
    def target(self):
        return self.root / NAME


def write_record(settings, phase, step, loss):
    record = {KEY: phase, "step": step, "loss": loss, "updated": time.time()}
    tmp = settings.target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, settings.target)


def main():
    settings = Settings("runs/a")
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(1, 10001):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            write_record(settings, "training", step, loss.item())


if __name__ == "__main__":
    main()
"""


def _progress(tmp_path, key: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n",
                             "train.py": TRAIN.replace("KEY", key).replace("NAME", '"run.json"')})
    return PROBES["code.progress_written_in_loop"](ev)


def test_a_phase_and_step_record_bound_first_is_the_progress_file(tmp_path):
    r = _progress(tmp_path, '"phase"')
    assert r.verdict == Verdict.YES, r.summary


def test_a_metrics_record_without_a_status_is_not(tmp_path):
    r = _progress(tmp_path, '"split"')
    assert r.verdict != Verdict.YES, r.summary
