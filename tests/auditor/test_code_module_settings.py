"""A setting kept as a constant of the project's own settings module (`import config`,
`config.CHECKPOINT_EVERY_MIN`), used as an option's default: the value is followed into that
module, and a module attribute the code reassigns with another value is not followed."""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

SETTINGS = """
    EPOCHS = 5
    CHECKPOINT_EVERY_MIN = {minutes}   # save a checkpoint every N minutes
"""

TRAIN = """
    import argparse
    import time

    import torch

    import settings


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--epochs", type=int, default=settings.EPOCHS)
        p.add_argument("--ckpt-every-min", type=float, default=settings.CHECKPOINT_EVERY_MIN)
        args = p.parse_args(){rebind}
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        last = time.time()
        for epoch in range(args.epochs):
            for x in loader:
                loss = model(x).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                if time.time() - last > args.ckpt_every_min * 60:
                    torch.save(model.state_dict(), "ckpt.pt")
                    last = time.time()


    if __name__ == "__main__":
        main()
"""


def test_an_option_defaulting_to_a_settings_module_constant_takes_its_value(tmp_path):
    got = audit(tmp_path, {"settings.py": SETTINGS.format(minutes=10), "train.py": TRAIN.format(rebind="")})
    interval = got["interval"]
    assert interval.verdict == Verdict.NO and "600" in interval.summary.replace("10.0 min", "600"), interval.summary
    assert "settings.py:3" in cited(interval), cited(interval)


def test_a_settings_module_constant_within_bounds_is_a_wall_clock_period(tmp_path):
    got = audit(tmp_path, {"settings.py": SETTINGS.format(minutes=2), "train.py": TRAIN.format(rebind="")})
    assert got["interval"].verdict == Verdict.YES, got["interval"].summary


def test_a_module_constant_the_code_reassigns_otherwise_is_not_followed(tmp_path):
    got = audit(tmp_path, {"settings.py": SETTINGS.format(minutes=2),
                           "train.py": TRAIN.format(rebind="\n        settings.CHECKPOINT_EVERY_MIN = 30")})
    assert got["interval"].verdict == Verdict.PARTIAL, got["interval"].summary


def test_a_parameter_named_like_the_settings_module_is_not_the_module(tmp_path):
    train = TRAIN.format(rebind="").replace("def main():", "def main(settings=None):").replace(
        "main()\n", "main(load_settings())\n")
    got = audit(tmp_path, {"settings.py": SETTINGS.format(minutes=2), "train.py": train})
    assert got["interval"].verdict != Verdict.YES, got["interval"].summary
