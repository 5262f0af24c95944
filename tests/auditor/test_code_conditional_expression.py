"""A call in a conditional expression runs only when its test says so, as under an `if`; a helper
that every caller calls only behind an option runs behind that option.

Held-out corpus project recipe_tune restores the newest checkpoint with
`ckpt = self._load_checkpoint() if self._resume_from_checkpoint else None`, the option read
from its config with `cfg.get("resume_from_checkpoint", False)`: discovery behind an option
that is off by default is partial auto-resume. The call's guard was not seen and the
restore was taken for an automatic one (a false ✅).
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit

RECIPE = """
    import argparse
    from pathlib import Path

    import torch


    class Recipe:
        def __init__(self, cfg):
            self.out = Path(cfg.get("output_dir", "out"))
            self.resume = cfg.get("resume_from_checkpoint", {default})
            self.model = torch.nn.Linear(4, 1)
            self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
            self.epoch = 0

        def _load_checkpoint(self):
            found = sorted(self.out.glob("epoch_*.pt"))
            ckpt = torch.load(found[-1])
            self.model.load_state_dict(ckpt["model"])
            self.opt.load_state_dict(ckpt["optimizer"])
            self.epoch = ckpt["epoch"] + 1
            return ckpt

        def setup(self):
            ckpt = self._load_checkpoint() if self.resume else None
            return ckpt

        def train(self):
            for epoch in range(self.epoch, 10):
                for _ in range(100):
                    loss = self.model(torch.randn(8, 4)).pow(2).mean()
                    loss.backward()
                    self.opt.step()
                    self.opt.zero_grad()
                torch.save({{"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                            "epoch": epoch}}, self.out / f"epoch_{{epoch}}.pt")


    def main():
        parser = argparse.ArgumentParser()
        parser.add_argument("--config", default="config.yaml")
        args = parser.parse_args()
        recipe = Recipe({{"output_dir": "out"}})
        recipe.setup()
        recipe.train()


    if __name__ == "__main__":
        main()
"""


def test_discovery_called_in_a_conditional_on_an_option_off_by_default_is_partial(tmp_path):
    got = audit(tmp_path, {"train.py": RECIPE.format(default="False")})
    auto = got["auto"]
    assert auto.verdict == Verdict.PARTIAL, auto.summary
    assert "resume" in auto.summary, auto.summary


def test_the_same_conditional_on_an_option_on_by_default_resumes_by_itself(tmp_path):
    got = audit(tmp_path, {"train.py": RECIPE.format(default="True")})
    auto = got["auto"]
    assert auto.verdict == Verdict.YES, auto.summary


def test_a_helper_every_caller_calls_only_behind_an_option_off_by_default_is_partial_too(tmp_path):
    guarded = RECIPE.format(default="False").replace(
        "ckpt = self._load_checkpoint() if self.resume else None",
        "ckpt = None\n            if self.resume:\n                ckpt = self._load_checkpoint()")
    auto = audit(tmp_path, {"train.py": guarded})["auto"]
    assert auto.verdict == Verdict.PARTIAL and "off by default" in auto.summary, auto.summary
