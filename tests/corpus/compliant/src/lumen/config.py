from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs; the command line fills it, the trainer reads it."""

    run_dir: Path = Path("runs/main")
    max_steps: int = 1200
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    batch_delay_s: float = 0.25       # the stream's pacing per batch, like a remote reader
    checkpoint_period_s: float = 75.0  # wall-clock seconds between periodic snapshots
    heartbeat_period_s: float = 15.0   # wall-clock seconds between heartbeat ticks
    log_every_steps: int = 10
    keep_last: int = 3

    def __post_init__(self):
        if not 0 < self.checkpoint_period_s:
            raise ValueError("checkpoint_period_s must be positive")
        if not 0 < self.heartbeat_period_s:
            raise ValueError("heartbeat_period_s must be positive")
        if self.keep_last < 1:
            raise ValueError("keep_last must be at least 1")
        if self.log_every_steps < 1:
            raise ValueError("log_every_steps must be at least 1")
