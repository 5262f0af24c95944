from pathlib import Path

from minirun import Config

ROOT = Path(__file__).resolve().parents[1]


def test_base_file_is_merged_under_the_config():
    cfg = Config.fromfile(ROOT / "configs" / "mlp_toy.py")
    assert cfg.default_hooks["checkpoint"] == dict(type="CheckpointHook", interval=1, by_epoch=True)
    assert cfg.default_hooks["timer"] == dict(type="IterTimerHook")
    assert cfg.resume is True
    assert cfg.randomness == dict(seed=0)


def test_cfg_options_override_nested_keys():
    cfg = Config.fromfile(ROOT / "configs" / "mlp_toy.py")
    cfg.merge_from_dict(dict([Config.parse_option("train_cfg.max_epochs=2")]))
    assert cfg.train_cfg == dict(by_epoch=True, max_epochs=2)
