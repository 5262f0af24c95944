from dataclasses import dataclass, fields
from pathlib import Path
import tomllib


@dataclass
class TrainConfig:
    out_dir: str = "outputs/default"
    seed: int = 7
    n_features: int = 16
    hidden: int = 64
    n_samples: int = 2048
    batch_size: int = 32
    lr: float = 1e-3
    max_steps: int = 2000
    read_latency_s: float = 0.0      # per batch; mimics a slow shared file system
    persist_every_s: float = 90.0    # wall-clock seconds between state files
    status_every_s: float = 20.0     # wall-clock seconds between status.json rewrites
    log_every: int = 20              # steps between progress lines in train.log
    keep_states: int = 5


def load_config(path, **overrides):
    raw = tomllib.loads(Path(path).read_text()) if path else {}
    known = {f.name for f in fields(TrainConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**raw)
