"""Run configuration. Every field is a CLI flag through tyro (`python -m rhea.train --help`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass
class CkptConfig:
    save_every: int = 1000
    """Optimizer steps between two checkpoints (step_NNNNNNN.pt in <run-dir>/ckpt)."""

    keep_last: int = 0
    """Delete older step files beyond this many; 0 keeps everything."""


@dataclasses.dataclass
class DataConfig:
    batch_size: int = 64
    """Samples per optimizer step."""

    n_freqs: int = 3
    """Sine components in each synthetic target."""

    latency_ms: float = 0.0
    """Extra wait per batch, standing in for the shard reader on the shared filesystem."""


@dataclasses.dataclass
class Config:
    run_dir: Path = Path("runs/dev")
    """Everything of one run lives here: ckpt/, status.json, heartbeat.log."""

    max_steps: int = 20_000
    lr: float = 3e-3
    hidden: int = 64
    seed: int = 0

    log_every: int = 50
    """Steps between two loss lines on stdout."""

    status_every: int = 50
    """Steps between two rewrites of <run-dir>/status.json."""

    heartbeat_every: int = 200
    """Steps between two lines in <run-dir>/heartbeat.log."""

    resume: bool = False
    """Continue from the newest step_*.pt in <run-dir>/ckpt instead of starting over."""

    ckpt: CkptConfig = dataclasses.field(default_factory=CkptConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
