"""A call in an `except` handler runs only when that exception is raised: a condition, not a period.

Found by trying it: a loop whose only save is `except KeyboardInterrupt: torch.save(...)` was a ✅
on periodic checkpoints ("the training loop saves checkpoints ... at every iteration"). It saves
when someone presses Ctrl-C. The same save in the `try` body, on a wall-clock period, is still one.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import time

import torch


def main():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(100000):
        try:
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            TRY_BODY
        except KeyboardInterrupt:
            HANDLER
            raise


if __name__ == "__main__":
    main()
"""

SAVE = 'torch.save({"model": model.state_dict(), "step": step}, f"ckpt_{step}.pt")'
TIMED = f"if time.time() - last > 120:\n                {SAVE}\n                last = time.time()"


def _saves(tmp_path, try_body: str, handler: str):
    ev = evidence(tmp_path, {"README.md": "Train with `python train.py`.\n",
                             "train.py": TRAIN.replace("TRY_BODY", try_body).replace("HANDLER", handler)})
    return PROBES["code.checkpoint_saved_in_loop"](ev)


def test_a_save_only_in_an_except_handler_is_no_periodic_save(tmp_path):
    r = _saves(tmp_path, "pass", SAVE)
    assert r.verdict != Verdict.YES, r.summary
    assert "KeyboardInterrupt" in r.summary, r.summary


def test_a_timed_save_in_the_try_body_is_periodic(tmp_path):
    r = _saves(tmp_path, TIMED, "pass")
    assert r.verdict == Verdict.YES, r.summary
