import pytest

from tabnet import config


def test_the_shipped_configs_load():
    for name in ("configs/train.toml", "configs/rehearsal.toml"):
        cfg = config.load(name)
        assert cfg["train"]["save_every_s"] == 240
        assert cfg["train"]["keep_last"] == 3


def test_missing_key_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(open("configs/train.toml").read().replace("keep_last = 3", ""))
    with pytest.raises(config.ConfigError, match=r"\[train\] is missing keep_last"):
        config.load(path)


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(open("configs/train.toml").read().replace("seed = 7", "seed = 7\nsave_evry_s = 5"))
    with pytest.raises(config.ConfigError, match="unknown save_evry_s"):
        config.load(path)
