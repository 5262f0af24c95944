"""A period's own on-switch beside it (`if every and step % every == 0`) is the period, not a flag.

Held-out skorch_cb logs `if self.every and self.seen_ % self.every == 0`: a zero turns the logging off,
anything else is the period. The guard was read as a condition on a flag (`every`), so logging
every 10 batches was partial. A flag that is not the period's divisor still conditions the call.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        for step in range(100):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if GUARD:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
"""


def _batch_logging(tmp_path, guard: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN.replace("GUARD", guard)})
    return PROBES["code.batch_logging"](ev)


def test_the_periods_own_switch_beside_it_is_the_period(tmp_path):
    r = _batch_logging(tmp_path, "args.log_every and step % args.log_every == 0")
    assert r.verdict == Verdict.YES, r.summary


def test_another_flag_beside_a_period_still_conditions_it(tmp_path):
    r = _batch_logging(tmp_path, "args.verbose and step % args.log_every == 0")
    assert r.verdict != Verdict.YES, r.summary
