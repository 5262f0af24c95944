"""Run configuration: one YAML file read into a dataclass."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import yaml


@dataclass
class TrainConfig:
    run_dir: str = "runs/default"
    """Everything a run writes goes here: checkpoints/, train.log, status.json, heartbeat.log."""
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    hidden: int = 64
    n_samples: int = 2048
    n_features: int = 16
    n_classes: int = 4
    seed: int = 0
    save_every_minutes: float = 2.0
    """Wall-clock time between two checkpoints."""
    keep_checkpoints: int = 5
    heartbeat_seconds: float = 15.0
    """How often the heartbeat thread appends to heartbeat.log."""
    io_delay_s: float = 0.0
    """Simulated storage latency per batch (our cluster's NFS); 0 on a laptop."""
    resume_from: str | None = None
    """A checkpoint to start from; by default the newest one in run_dir/checkpoints."""

    def __post_init__(self) -> None:
        if self.save_every_minutes <= 0:
            raise ValueError("save_every_minutes must be > 0")
        if self.heartbeat_seconds <= 0:
            raise ValueError("heartbeat_seconds must be > 0")
        if self.keep_checkpoints < 1:
            raise ValueError("keep_checkpoints must be >= 1")


def load_config(path: str | Path) -> TrainConfig:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of settings")
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    return TrainConfig(**data)
