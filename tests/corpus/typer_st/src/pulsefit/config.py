"""Run settings, read from a TOML file with tomllib."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass
class DataCfg:
    n_samples: int = 4096
    seq_len: int = 128
    batch_size: int = 16
    read_latency_ms: float = 0.0


@dataclass
class ModelCfg:
    channels: int = 32
    n_classes: int = 4


@dataclass
class OptimCfg:
    lr: float = 3e-3
    weight_decay: float = 0.01


@dataclass
class TrainCfg:
    max_steps: int = 2000
    log_every: int = 50


@dataclass
class CheckpointCfg:
    interval: int = 500  # optimizer steps between two checkpoints
    keep: int = 3


@dataclass
class Config:
    name: str = "run"
    run_dir: str = "runs/run"
    seed: int = 0
    data: DataCfg = field(default_factory=DataCfg)
    model: ModelCfg = field(default_factory=ModelCfg)
    optim: OptimCfg = field(default_factory=OptimCfg)
    train: TrainCfg = field(default_factory=TrainCfg)
    checkpoint: CheckpointCfg = field(default_factory=CheckpointCfg)


_SECTIONS = {"data": DataCfg, "model": ModelCfg, "optim": OptimCfg,
             "train": TrainCfg, "checkpoint": CheckpointCfg}


def load_config(path: Path, max_steps: int | None = None) -> Config:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    top = {f.name for f in fields(Config)} - set(_SECTIONS)
    unknown = set(raw) - top - set(_SECTIONS)
    if unknown:
        raise ValueError(f"unknown keys in {path}: {sorted(unknown)}")
    cfg = Config(**{k: v for k, v in raw.items() if k in top})
    for name, cls in _SECTIONS.items():
        setattr(cfg, name, cls(**raw.get(name, {})))
    if max_steps is not None:
        cfg.train.max_steps = max_steps
    return cfg
