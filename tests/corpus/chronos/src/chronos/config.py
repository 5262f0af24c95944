"""Training settings: defaults here, overridden by a TOML file, then by the CLI."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Read a duration: a number of seconds, or a string such as "90s", "1m30s", "250ms"."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    text = value.strip().replace(" ", "")
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise ValueError(f"not a duration: {value!r}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Config:
    # model
    embed_dim: int = 8
    hidden_dim: int = 16
    # data
    seq_len: int = 32
    batch_size: int = 32
    seed: int = 0
    # optimisation
    steps: int = 1000
    lr: float = 3e-3
    step_delay: timedelta = timedelta(0)
    log_every: int = 10
    # checkpoints: wall-clock interval, not steps, because step time depends on the feed
    checkpoint_every: timedelta = timedelta(seconds=90)
    keep_checkpoints: int = 3
    # background status writer
    status_every: timedelta = timedelta(seconds=15)

    def with_overrides(self, **overrides) -> "Config":
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)


# TOML table/key -> Config field
_TOML_KEYS = {
    ("model", "embed_dim"): "embed_dim",
    ("model", "hidden_dim"): "hidden_dim",
    ("data", "seq_len"): "seq_len",
    ("data", "batch_size"): "batch_size",
    ("data", "seed"): "seed",
    ("train", "steps"): "steps",
    ("train", "lr"): "lr",
    ("train", "step_delay"): "step_delay",
    ("train", "log_every"): "log_every",
    ("checkpoint", "every"): "checkpoint_every",
    ("checkpoint", "keep"): "keep_checkpoints",
    ("report", "status_every"): "status_every",
}
_DURATIONS = {f.name for f in fields(Config) if f.type == "timedelta"}


def load_config(path: str | Path | None = None) -> Config:
    if path is None:
        return Config()
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    values = {}
    for table, entries in raw.items():
        if not isinstance(entries, dict):
            raise ValueError(f"{path}: top-level key {table!r} must be a table")
        for key, value in entries.items():
            name = _TOML_KEYS.get((table, key))
            if name is None:
                raise ValueError(f"{path}: unknown setting [{table}] {key}")
            values[name] = parse_duration(value) if name in _DURATIONS else value
    return Config(**values)
