import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture
def tiny_config(tmp_path):
    """The real config shrunk to a couple of seconds of CPU, writing under tmp_path."""
    cfg = yaml.safe_load((ROOT / "configs" / "cartpole_ppo.yaml").read_text())
    cfg["runs_dir"] = str(tmp_path / "runs")
    cfg["env"]["n_envs"] = 2
    cfg["ppo"].update(n_steps=64, batch_size=64, n_epochs=1)
    cfg["train"]["total_timesteps"] = 1024
    cfg["checkpoint"]["save_freq"] = 128
    cfg["eval"].update(eval_freq=256, n_eval_episodes=2)
    cfg["status"]["every"] = 32
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, Path(cfg["runs_dir"]) / cfg["run_name"]
