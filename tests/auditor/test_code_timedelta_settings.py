"""A wall-clock interval kept as a `datetime.timedelta` setting and compared in seconds.

Held-out corpus project chronos declares `checkpoint_every: timedelta = timedelta(seconds=90)`
in a dataclass config and its trainer compares `time.monotonic() - last_save >= interval` with
`interval = self.cfg.checkpoint_every.total_seconds()`. `total_seconds()` of a timedelta is its
length in seconds: 90 s, inside 1-5 minutes. Before, the interval was "of unknown kind".
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

CONFIG = """
    from dataclasses import dataclass
    from datetime import timedelta


    @dataclass(frozen=True)
    class Config:
        steps: int = 1000
        checkpoint_every: timedelta = timedelta({every})
"""

TRAINER = """
    import time

    import torch

    from config import Config


    class Trainer:
        def __init__(self, cfg):
            self.cfg = cfg
            self.model = torch.nn.Linear(4, 1)
            self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)

        def save(self, step):
            torch.save({"model": self.model.state_dict(), "step": step}, f"ckpt/step_{step:06d}.pt")

        def fit(self):
            interval = self.cfg.checkpoint_every.total_seconds()
            last_save = time.monotonic()
            for step in range(self.cfg.steps):
                loss = self.model(torch.randn(8, 4)).pow(2).mean()
                loss.backward()
                self.opt.step()
                self.opt.zero_grad()
                if time.monotonic() - last_save >= interval:
                    self.save(step)
                    last_save = time.monotonic()


    def main():
        Trainer(Config()).fit()


    if __name__ == "__main__":
        main()
"""


def test_a_timedelta_setting_compared_in_total_seconds_is_a_wall_clock_interval(tmp_path):
    got = audit(tmp_path, {"config.py": CONFIG.format(every="seconds=90"), "train.py": TRAINER})
    interval = got["interval"]
    assert interval.verdict == Verdict.YES and "90" in interval.summary, interval.summary
    assert "config.py:9" in cited(interval), cited(interval)


def test_the_same_setting_outside_the_bounds_is_no(tmp_path):
    got = audit(tmp_path, {"config.py": CONFIG.format(every="minutes=30"), "train.py": TRAINER})
    interval = got["interval"]
    assert interval.verdict == Verdict.NO and "1800" in interval.summary.replace(",", ""), interval.summary
