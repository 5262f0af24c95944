"""wavefit: a small regressor for the lab's synthetic wave benchmark, trained through LightningCLI."""

from wavefit.data import LitDataModule
from wavefit.model import LitModel

__all__ = ["LitDataModule", "LitModel"]
