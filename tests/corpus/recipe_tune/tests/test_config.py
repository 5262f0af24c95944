import pytest

from tinytune.config import Config, apply_overrides, load_config, parse_override


def test_parse_override_reads_yaml_values():
    assert parse_override("batch_size=32") == (["batch_size"], 32)
    assert parse_override("resume_from_checkpoint=True") == (["resume_from_checkpoint"], True)
    assert parse_override("optimizer.lr=1e-3") == (["optimizer", "lr"], 1e-3)
    assert parse_override("max_steps_per_epoch=null") == (["max_steps_per_epoch"], None)


@pytest.mark.parametrize("bad", ["batch_size", "=3"])
def test_parse_override_rejects_malformed(bad):
    with pytest.raises(ValueError):
        parse_override(bad)


def test_nested_override_creates_missing_sections():
    cfg = apply_overrides(Config.wrap({"model": {"embed_dim": 32}}),
                          ["model.embed_dim=64", "lr_scheduler.num_warmup_steps=10"])
    assert cfg.model.embed_dim == 64
    assert cfg.lr_scheduler.num_warmup_steps == 10


def test_shipped_config_loads():
    cfg = load_config("recipes/configs/tiny_lm.yaml", ["epochs=1"])
    assert cfg.epochs == 1
    assert cfg.save_every_n_epochs == 1
    assert cfg.resume_from_checkpoint is False
    assert float(cfg.optimizer.lr) > 0
