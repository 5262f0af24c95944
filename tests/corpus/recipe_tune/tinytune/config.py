"""Loading recipe configs: a YAML file plus ``key=value`` overrides from the command line."""

import argparse
from pathlib import Path
from typing import Any, Iterable, List, Tuple

import yaml


class Config(dict):
    """A dict whose keys can also be read as attributes (``cfg.model.embed_dim``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(f"config has no key '{name}'") from e

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    @classmethod
    def wrap(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return cls({k: cls.wrap(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        return value

    def to_dict(self) -> dict:
        return {k: v.to_dict() if isinstance(v, Config) else v for k, v in self.items()}


def parse_override(arg: str) -> Tuple[List[str], Any]:
    """``optimizer.lr=1e-3`` -> (["optimizer", "lr"], 0.001). Values are read as YAML."""
    if "=" not in arg:
        raise ValueError(f"override '{arg}' is not of the form key=value")
    key, raw = arg.split("=", 1)
    if not key:
        raise ValueError(f"override '{arg}' has an empty key")
    value = yaml.safe_load(raw) if raw != "" else None
    # PyYAML reads 1e-3 as a string (YAML 1.1 wants a dot); people type it anyway.
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    return key.split("."), value


def apply_overrides(cfg: Config, overrides: Iterable[str]) -> Config:
    for arg in overrides:
        path, value = parse_override(arg)
        node = cfg
        for part in path[:-1]:
            if part not in node or not isinstance(node[part], dict):
                node[part] = Config()
            node = node[part]
        node[path[-1]] = Config.wrap(value)
    return cfg


def load_config(path: str, overrides: Iterable[str] = ()) -> Config:
    with open(Path(path)) as f:
        cfg = Config.wrap(yaml.safe_load(f) or {})
    return apply_overrides(cfg, overrides)


def parse_args(argv=None) -> Config:
    """What every recipe's ``__main__`` calls: ``--config FILE`` then any number of overrides."""
    parser = argparse.ArgumentParser(description="Run a tinytune recipe")
    parser.add_argument("--config", required=True, help="path to the recipe's YAML config")
    parser.add_argument("overrides", nargs="*", help="key=value pairs, dotted keys allowed")
    args = parser.parse_args(argv)
    return load_config(args.config, args.overrides)
