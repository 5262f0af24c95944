"""trainerpkg: a small, restartable training loop."""

from trainerpkg.config import TrainConfig, load_config
from trainerpkg.trainer import Trainer

__all__ = ["Trainer", "TrainConfig", "load_config"]
__version__ = "0.3.1"
