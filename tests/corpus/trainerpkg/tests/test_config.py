import pytest

from trainerpkg.config import TrainConfig, load_config


def test_defaults_save_every_two_minutes():
    cfg = TrainConfig()
    assert cfg.save_every_minutes == 2.0
    assert cfg.resume_from is None


def test_yaml_values_replace_defaults(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("epochs: 3\nsave_every_minutes: 1.5\nrun_dir: somewhere\n")
    cfg = load_config(path)
    assert (cfg.epochs, cfg.save_every_minutes, cfg.run_dir) == (3, 1.5, "somewhere")
    assert cfg.batch_size == TrainConfig().batch_size


def test_unknown_setting_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("epochs: 3\nsave_every_steps: 100\n")
    with pytest.raises(ValueError, match="save_every_steps"):
        load_config(path)


@pytest.mark.parametrize("field", ["save_every_minutes", "heartbeat_seconds"])
def test_non_positive_periods_are_rejected(tmp_path, field):
    path = tmp_path / "c.yaml"
    path.write_text(f"{field}: 0\n")
    with pytest.raises(ValueError, match=field):
        load_config(path)
