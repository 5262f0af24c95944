"""stable-baselines3 as code facts: `model.learn(callback=...)` runs SB3's loop; the policy is in the callbacks.

Held-out sb3_rl. `CheckpointCallback(save_freq=N)` saves every N callback calls (environment
steps per env: a step interval); `EvalCallback(best_model_save_path=...)` saves only a new best;
a `BaseCallback` subclass runs `_on_step` at every step; SB3's logger, set up with
`configure(folder, ["stdout", "csv"])` (or `verbose=1`), writes a table every `log_interval`
iterations of the loop.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

CALLBACKS = """\
import json
import os
import time

from stable_baselines3.common.callbacks import BaseCallback


class StatusFile(BaseCallback):
    def __init__(self, path, every=500):
        super().__init__()
        self.path = path
        self.every = every

    def _on_step(self):
        if self.n_calls % self.every == 0:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"timesteps": self.num_timesteps, "written_at": time.time()}, f)
            os.replace(tmp, self.path)
        return True
"""

TRAIN = """\
import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import CheckpointCallback, EvalCallback
from stable_baselines3.common.logger import configure

from callbacks import StatusFile


def main():
    env = gym.make("CartPole-v1")
    model = PPO("MlpPolicy", env)
    model.set_logger(configure("runs/a", ["stdout", "csv"]))
    callbacks = [SAVER, StatusFile("runs/a/status.json")]
    model.learn(total_timesteps=100_000, callback=callbacks, log_interval=1)
    model.save("runs/a/final_model")


if __name__ == "__main__":
    main()
"""

PERIODIC = 'CheckpointCallback(save_freq=5000, save_path="runs/a/checkpoints")'
BEST = 'EvalCallback(gym.make("CartPole-v1"), best_model_save_path="runs/a/best", eval_freq=5000)'


def _evidence(tmp_path, saver: str):
    return evidence(tmp_path, {"README.md": "Train with `python train.py`.\n", "callbacks.py": CALLBACKS,
                               "train.py": TRAIN.replace("SAVER", saver)})


def test_a_checkpoint_callback_saves_on_a_step_interval(tmp_path):
    ev = _evidence(tmp_path, PERIODIC)
    saves = PROBES["code.checkpoint_saved_in_loop"](ev)
    assert saves.verdict == Verdict.YES, saves.summary
    interval = PROBES["code.checkpoint_interval"](ev)
    assert interval.verdict == Verdict.PARTIAL and "step" in interval.summary, interval.summary


def test_an_eval_callback_saves_the_best_only(tmp_path):
    saves = PROBES["code.checkpoint_saved_in_loop"](_evidence(tmp_path, BEST))
    assert saves.verdict == Verdict.PARTIAL and "best" in saves.summary, saves.summary


def test_its_own_callback_and_sb3s_logger_run_in_the_loop(tmp_path):
    ev = _evidence(tmp_path, PERIODIC)
    progress = PROBES["code.progress_written_in_loop"](ev)
    assert progress.verdict == Verdict.YES, progress.summary
    logs = PROBES["code.batch_logging"](ev)
    assert logs.verdict == Verdict.YES, logs.summary
