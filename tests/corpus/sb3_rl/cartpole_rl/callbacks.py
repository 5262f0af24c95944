"""Our own SB3 callbacks."""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback


class RunStatusCallback(BaseCallback):
    """Keeps <run>/status.json current: rewritten in place every `every` calls.

    One call is one step of the vectorised env, i.e. n_envs transitions.
    """

    def __init__(self, path, every=500, verbose=0):
        super().__init__(verbose)
        self.path = Path(path)
        self.every = every

    def _on_training_start(self):
        self._write("running")

    def _on_step(self):
        if self.n_calls % self.every == 0:
            self._write("running")
        return True

    def _on_training_end(self):
        self._write("finished")

    def _write(self, state):
        episodes = self.model.ep_info_buffer
        payload = {
            "state": state,
            "num_timesteps": int(self.num_timesteps),
            "ep_rew_mean": float(np.mean([ep["r"] for ep in episodes])) if episodes else None,
            "pid": os.getpid(),
            "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(tmp, self.path)
