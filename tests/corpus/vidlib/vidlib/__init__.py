"""vidlib: small building blocks for training video autoencoders."""

from vidlib.checkpoint import find_latest, load_checkpoint, save_checkpoint
from vidlib.data import MovingSquares, collate_clips
from vidlib.models import TinyVideoAE
from vidlib.schedule import warmup_cosine
from vidlib.trainer import VideoTrainer

__all__ = [
    "MovingSquares",
    "TinyVideoAE",
    "VideoTrainer",
    "collate_clips",
    "find_latest",
    "load_checkpoint",
    "save_checkpoint",
    "warmup_cosine",
]
__version__ = "0.2.0"
