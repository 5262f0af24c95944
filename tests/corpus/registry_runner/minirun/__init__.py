"""minirun: a small config-driven training runner in the spirit of mmengine."""

from .config import Config
from .registry import DATASETS, HOOKS, MODELS, OPTIMIZERS, Registry, build_from_cfg
from .runner import Runner
from . import datasets, hooks, models  # noqa: F401  (fill the registries)

__all__ = ["Config", "Registry", "build_from_cfg", "Runner", "MODELS", "DATASETS", "HOOKS",
           "OPTIMIZERS"]
