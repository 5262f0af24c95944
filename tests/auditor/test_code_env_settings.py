"""A wall-clock interval read from the environment into a settings dict.

Held-out corpus project shell_env builds its settings as
`{"save_every": float(environ.get("SAVE_EVERY_SECONDS", "120")), ...}` and saves when
`time.time() - last_save >= cfg["save_every"]`: the interval is the key's value, the default the
environment variable falls back to, a number written as a string: 120 s. Before, it was an
interval of unknown kind.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

TRAIN = """
    import os
    import time

    import torch


    def env_settings(environ=os.environ):
        return {{
            "max_steps": int(environ.get("MAX_STEPS", "3200")),
            "save_every": float(environ.get("SAVE_EVERY_SECONDS", "{default}")),
        }}


    def main():
        cfg = env_settings()
        model = torch.nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        last_save = time.time()
        for step in range(cfg["max_steps"]):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
            if time.time() - last_save >= cfg["save_every"]:
                torch.save({{"model": model.state_dict(), "step": step}}, f"ckpt/model_{{step}}.pt")
                last_save = time.time()


    if __name__ == "__main__":
        main()
"""


def test_an_environment_default_in_a_settings_dict_is_the_interval(tmp_path):
    got = audit(tmp_path, {"train.py": TRAIN.format(default="120")})
    interval = got["interval"]
    assert interval.verdict == Verdict.YES and "120" in interval.summary, interval.summary
    assert "train.py:11" in cited(interval), cited(interval)


def test_the_same_default_outside_the_bounds_is_no(tmp_path):
    got = audit(tmp_path, {"train.py": TRAIN.format(default="3600")})
    assert got["interval"].verdict == Verdict.NO, got["interval"].summary
