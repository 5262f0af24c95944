"""Run configuration: TOML file -> RunConfig."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass
class RunConfig:
    run_dir: str = "experiments/default"
    seed: int = 0
    batch_size: int = 64
    hidden: int = 48
    lr: float = 2e-3
    total_steps: int = 2000
    ckpt_every_steps: int = 500     # a DCP checkpoint folder every N optimizer steps
    log_every_steps: int = 10
    session_minutes: float = 0.0    # 0 = no limit; otherwise stop (after a save) when the slot is used up
    io_wait_s: float = 0.0


def load_config(path: str | Path, **overrides) -> RunConfig:
    raw = tomllib.loads(Path(path).read_text())
    known = {f.name for f in fields(RunConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return RunConfig(**raw)
