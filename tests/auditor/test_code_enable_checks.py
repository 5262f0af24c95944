"""A period behind a setting that is off by default: `if args.save_secs > 0 and time.time() - last >
args.save_secs:` with `--save-secs` defaulting to 0 saves nothing unless the user turns it on. The
`> 0` test is the switch, not a period of 0 s: the save is reached only under a flag that is off by
default (partial), never ✅. With a default of 120 the same code saves every 120 s.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

TRAIN = """\
import argparse
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--save-secs", type=float, default={default})
    args = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(10000):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        if {test}:
            torch.save({{"model": model.state_dict()}}, "latest.pt")
            last = time.time()


if __name__ == "__main__":
    main()
"""


def _verdict(root: Path, default: str, test: str) -> Verdict:
    (root / "README.md").write_text("Train with `python train.py`.\n")
    (root / "train.py").write_text(textwrap.dedent(TRAIN.format(default=default, test=test)))
    return PROBES["code.checkpoint_saved_in_loop"](Evidence(resolve(load_config(root)))).verdict


@pytest.mark.parametrize("test", ["args.save_secs > 0 and time.time() - last > args.save_secs",
                                  "args.save_secs != 0 and time.time() - last >= args.save_secs"])
def test_a_period_switched_off_by_default_is_partial(tmp_path, test):
    assert _verdict(tmp_path, "0.0", test) == Verdict.PARTIAL


def test_the_same_period_switched_on_by_default_is_yes(tmp_path):
    assert _verdict(tmp_path, "120.0", "args.save_secs > 0 and time.time() - last > args.save_secs") == Verdict.YES


def test_a_counter_past_zero_is_no_switch(tmp_path):
    # `step > 0` with step starting at 0 is a counter, not a setting switched off
    assert _verdict(tmp_path, "120.0", "step > 0 and step % 100 == 0") == Verdict.YES
