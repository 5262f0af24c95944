from .datasets import NoisySineDataset  # noqa: F401
from .hooks import ProgressFileHook, StallWatchdogHook  # noqa: F401
from .models import MLPRegressor  # noqa: F401

__all__ = ['NoisySineDataset', 'MLPRegressor', 'ProgressFileHook',
           'StallWatchdogHook']
