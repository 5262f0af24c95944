"""Values read with configparser: `section.getfloat("every_seconds", fallback=120.0)` and
`cfg.getint("checkpoint", "every_seconds", fallback=90)` are the fallback when no configuration
the auditor reads sets them, as `cfg.get("x", 120)` is. An INI-configured trainer's wall-clock
checkpoint period compared with time.monotonic() is then a period of 120 s (held-out numpy_ini).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence, write

TRAIN = """\
import configparser
import sys
import time

import torch


def main(path):
    cfg = configparser.ConfigParser()
    cfg.read(path)
    ck = cfg["checkpoint"]
    every_s = {read}
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.monotonic()
    for step in range(100000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if time.monotonic() - last >= every_s:
            torch.save({{"model": model.state_dict(), "step": step}}, f"run/ckpt_{{step}}.pt")
            last = time.monotonic()


if __name__ == "__main__":
    main(sys.argv[1])
"""


def _interval(root: Path, read: str):
    files = {"README.md": "Train with `python train.py configs/a.ini`.\n", "train.py": TRAIN.format(read=read)}
    write(root, files)
    return PROBES["code.checkpoint_interval"](evidence(root), min_s=60, max_s=300)


@pytest.mark.parametrize("read", [
    'ck.getfloat("every_seconds", fallback=120.0)',
    'cfg.getint("checkpoint", "every_seconds", fallback=120)',
    'float(ck.get("every_seconds", fallback="120"))',
])
def test_a_configparser_fallback_is_the_period(tmp_path, read):
    r = _interval(tmp_path, read)
    assert r.verdict == Verdict.YES and "120" in r.summary, r.summary


def test_a_fallback_outside_the_bounds_is_not_yes(tmp_path):
    r = _interval(tmp_path, 'ck.getfloat("every_seconds", fallback=900.0)')
    assert r.verdict != Verdict.YES, r.summary
