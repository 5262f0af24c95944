"""YAML config loading with dotted command-line overrides."""

from pathlib import Path

import yaml


def apply_override(cfg, item):
    """Apply one 'a.b.c=value' override in place; the value is parsed as YAML."""
    key, sep, raw = item.partition("=")
    if not sep:
        raise ValueError(f"override must look like key=value, got {item!r}")
    *parents, leaf = key.strip().split(".")
    node = cfg
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = yaml.safe_load(raw)
    return cfg


def load_config(path, overrides=()):
    cfg = yaml.safe_load(Path(path).read_text())
    for item in overrides:
        apply_override(cfg, item)
    return cfg
