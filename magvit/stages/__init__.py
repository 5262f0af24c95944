"""The stages a run can train, by name, and what they share (the step count and the LR schedule).

`STAGES` maps a stage name (`RunConfig.stage`) to the module and class that implement it;
modules are imported only when their stage is built, so a tokenizer run never imports the
transformer code. `build_stage(config, n_train, dist)` builds the one the config names.
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Callable

import torch

from magvit import distributed
from magvit.distributed import Dist

if TYPE_CHECKING:
    from magvit.config import RunConfig, TrainConfig
    from magvit.stages.base import Stage

STAGES: dict[str, str] = {
    "tokenizer": "magvit.stages.tokenizer:TokenizerStage",
    "transformer": "magvit.stages.transformer:TransformerStage",
}
"""Stage name -> "module:Class" of its Stage subclass."""


class UnknownStageError(ValueError):
    """The config names a stage that does not exist."""


def stage_class(name: str) -> type[Stage]:
    """The Stage subclass registered under `name`."""
    if name not in STAGES:
        raise UnknownStageError(f"stage {name!r} does not exist (known: {', '.join(sorted(STAGES))})")
    module_name, class_name = STAGES[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_stage(config: RunConfig, n_train: int, dist: Dist | None = None) -> Stage:
    """The stage `config.stage`, built for `n_train` training clips (the caller seeds torch first)."""
    return stage_class(config.stage)(config, n_train, dist or Dist())


def steps_per_epoch(train: TrainConfig, n_train: int, dist: Dist) -> int:
    """Optimizer steps in one epoch: the global batches that cover the training split."""
    return math.ceil(n_train / distributed.global_batch_size(train.batch_size, dist))


def lr_factor(kind: str, warmup: int, total: int) -> Callable[[int], float]:
    """Linear warmup over `warmup` steps, then `constant` or `cosine` decay to zero at step `total`."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if kind == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def lr_scheduler(optimizer: torch.optim.Optimizer, train: TrainConfig, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The run's schedule (train.schedule, train.warmup_steps) over `total_steps` for `optimizer`."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(train.schedule, train.warmup_steps, total_steps))
