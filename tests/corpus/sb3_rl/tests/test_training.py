import json
import zipfile

import train
from cartpole_rl.checkpoints import checkpoint_step


def test_checkpoints_are_dropped_while_training(tiny_config):
    config, run_dir = tiny_config
    train.main(["--config", str(config)])
    steps = sorted(checkpoint_step(p) for p in (run_dir / "checkpoints").glob("*_steps.zip"))
    # save_freq counts callback calls; each call is n_envs (2) transitions
    assert steps == [256, 512, 768, 1024]
    assert (run_dir / "final_model.zip").exists()
    assert (run_dir / "best" / "best_model.zip").exists()


def test_status_file_describes_the_finished_run(tiny_config):
    config, run_dir = tiny_config
    train.main(["--config", str(config)])
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["num_timesteps"] == 1024
    assert status["ep_rew_mean"] > 0


def test_resume_keeps_counting_from_the_checkpoint(tiny_config):
    config, run_dir = tiny_config
    train.main(["--config", str(config), "--set", "train.total_timesteps=512"])
    model = train.main(["--config", str(config), "--resume"])
    log = (run_dir / "train.log").read_text()
    assert "ppo_cartpole_512_steps.zip at num_timesteps=512" in log
    assert model.num_timesteps == 1024
    steps = sorted(checkpoint_step(p) for p in (run_dir / "checkpoints").glob("*_steps.zip"))
    assert steps == [256, 512, 768, 1024]
    with zipfile.ZipFile(run_dir / "checkpoints" / "ppo_cartpole_1024_steps.zip") as zf:
        assert "policy.optimizer.pth" in zf.namelist()
