"""Service settings.

Everything comes from the environment: the unit file's Environment= lines and its
EnvironmentFile=. For local work a `.env` file in the working directory is read first and
anything already in the environment wins over it.
"""

import os
from dataclasses import dataclass
from pathlib import Path


def read_dotenv(path=".env"):
    values = {}
    p = Path(path)
    if not p.is_file():
        return values
    for raw in p.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("\"'")
    return values


@dataclass
class Settings:
    ckpt_dir: Path
    state_dir: Path
    ckpt_interval: int        # optimizer steps between two checkpoints
    state_every: int          # optimizer steps between two state.json writes
    log_every: int            # optimizer steps between two loss lines
    watchdog_sec: float       # what systemd hands us in WATCHDOG_USEC
    fetch_delay_s: float      # simulated shard latency (staging only)
    lr: float
    batch_size: int
    seed: int

    @property
    def state_file(self):
        return self.state_dir / "state.json"

    @property
    def heartbeat_file(self):
        return self.state_dir / "heartbeat"


def load(environ=None, dotenv=".env"):
    env = read_dotenv(dotenv)
    env.update(os.environ if environ is None else environ)

    def get(name, default, cast=str):
        raw = env.get(name)
        return default if raw in (None, "") else cast(raw)

    return Settings(
        ckpt_dir=Path(get("TRAINER_CKPT_DIR", "runs/dev/ckpt")),
        state_dir=Path(get("TRAINER_STATE_DIR", "runs/dev")),
        ckpt_interval=get("TRAINER_CKPT_INTERVAL", 200, int),
        state_every=get("TRAINER_STATE_EVERY", 10, int),
        log_every=get("TRAINER_LOG_EVERY", 20, int),
        watchdog_sec=get("WATCHDOG_USEC", 90_000_000, int) / 1e6,
        fetch_delay_s=get("TRAINER_FETCH_DELAY_S", 0.0, float),
        lr=get("TRAINER_LR", 3e-3, float),
        batch_size=get("TRAINER_BATCH_SIZE", 64, int),
        seed=get("TRAINER_SEED", 1234, int),
    )
