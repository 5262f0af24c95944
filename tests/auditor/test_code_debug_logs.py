"""A logger's debug() lines are written only where the project turns debug output on.

Found by trying it: `logging.basicConfig(filename="train.log", level=logging.INFO)` and, in the
batch loop, `log.debug("epoch %d step %d loss %.4f", ...)`. The level drops every such line; the
log holds one line an epoch. It was a ✅ on per-batch logging. Where the project sets a DEBUG
level (`level=logging.DEBUG`, `setLevel("DEBUG")`), the debug lines are logs.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import logging

import torch

log = logging.getLogger("train")


def main():
    logging.basicConfig(filename="train.log", level=logging.LEVEL)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        for step in range(1000):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            log.debug("epoch %d step %d loss %.4f", epoch, step, loss.item())
        log.info("epoch %d done", epoch)


if __name__ == "__main__":
    main()
"""


def _batch_logging(tmp_path, level: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN.replace("LEVEL", level)})
    return PROBES["code.batch_logging"](ev)


def test_debug_lines_under_an_info_level_are_no_per_batch_logging(tmp_path):
    r = _batch_logging(tmp_path, "INFO")
    assert r.verdict != Verdict.YES, r.summary


def test_debug_lines_with_debug_turned_on_are_per_batch_logging(tmp_path):
    r = _batch_logging(tmp_path, "DEBUG")
    assert r.verdict == Verdict.YES, r.summary
