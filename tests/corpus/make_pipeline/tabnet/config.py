"""The TOML config: four tables, every key required, unknown keys rejected."""

import tomllib
from pathlib import Path

REQUIRED = {
    "data": {"path", "batch_size", "io_delay_s"},
    "model": {"hidden", "depth"},
    "optim": {"lr", "weight_decay"},
    "train": {"epochs", "out_dir", "save_every_s", "keep_last", "heartbeat_every_s", "seed"},
}


class ConfigError(ValueError):
    pass


def load(path):
    path = Path(path)
    with path.open("rb") as f:
        cfg = tomllib.load(f)
    for table, keys in REQUIRED.items():
        have = set(cfg.get(table, {}))
        if keys - have:
            raise ConfigError(f"{path}: [{table}] is missing {', '.join(sorted(keys - have))}")
        if have - keys:
            raise ConfigError(f"{path}: [{table}] has unknown {', '.join(sorted(have - keys))}")
    if cfg["train"]["save_every_s"] <= 0 or cfg["train"]["keep_last"] < 1:
        raise ConfigError(f"{path}: save_every_s must be > 0 and keep_last >= 1")
    return cfg
