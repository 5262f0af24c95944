import csv

from stable_baselines3.common.logger import configure

from cartpole_rl.checkpoints import checkpoint_step, latest_checkpoint
from cartpole_rl.config import apply_override


def test_checkpoint_step_parses_callback_names():
    assert checkpoint_step("runs/x/checkpoints/ppo_cartpole_160000_steps.zip") == 160000
    assert checkpoint_step("runs/x/best/best_model.zip") is None


def test_latest_checkpoint_orders_by_step_not_by_name(tmp_path):
    for step in (80000, 160000, 240000):
        (tmp_path / f"ppo_cartpole_{step}_steps.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignore me")
    assert latest_checkpoint(tmp_path).name == "ppo_cartpole_240000_steps.zip"


def test_latest_checkpoint_of_missing_folder_is_none(tmp_path):
    assert latest_checkpoint(tmp_path / "nope") is None


def test_override_parses_yaml_values():
    cfg = {"train": {"total_timesteps": 10}}
    apply_override(cfg, "train.total_timesteps=2048")
    apply_override(cfg, "ppo.net_arch=[8, 8]")
    assert cfg == {"train": {"total_timesteps": 2048}, "ppo": {"net_arch": [8, 8]}}


def test_logger_writes_one_csv_row_per_dump(tmp_path):
    logger = configure(str(tmp_path), ["csv"])
    for step in range(1, 4):
        logger.record("train/loss", 1.0 / step)
        logger.record("time/total_timesteps", step * 1024)
        logger.dump(step=step * 1024)
    logger.close()
    rows = list(csv.DictReader((tmp_path / "progress.csv").open()))
    assert [int(r["time/total_timesteps"]) for r in rows] == [1024, 2048, 3072]
    assert all(float(r["train/loss"]) > 0 for r in rows)
