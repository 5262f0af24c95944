"""What a training session is made of and ends with: the run's position (`RunState`, saved in
every checkpoint), the data split, the objects trained with, the result and its exit codes,
and the data order of each epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from magvit.config import RunConfig
from magvit.distributed import Dist
from magvit.stages.base import Stage
EXIT_FINAL_NOT_SAVED = 4  # see the module docstring


EXIT_LOSS_NOT_FINITE = 5


@dataclass(frozen=True)
class TrainResult:
    """How a training session ended."""

    status: str
    """`finished`, `preempted` (a signal or the time limit stopped it) or `failed` (the final save)."""
    exit_code: int
    """Process exit code for this outcome (see the module docstring)."""
    step: int
    """Optimizer steps completed over all sessions."""
    epoch: int
    """Epochs completed."""
    best_metric: str
    """The stage's validation metric that picks best.pt (`val_recon` for the tokenizer)."""
    best_value: float | None
    """Its best (lowest) value so far."""


@dataclass
class RunState:
    """The position of a run and what it has learned about itself; goes into every checkpoint."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    """Optimizer steps taken in the current epoch."""
    samples_in_epoch: int = 0
    """Clips of the epoch's global order consumed (the position, whatever the world size)."""
    samples_seen: int = 0
    best_value: float | None = None
    """Lowest value of the stage's best_metric so far."""
    train_elapsed_s: float = 0.0
    step_losses: list[float] = field(default_factory=list)
    epoch_metrics: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Dataset:
    """The clips of one run, split once with split_indices."""

    path: Path
    fingerprint: str
    train_x: torch.Tensor
    val_x: torch.Tensor


@dataclass
class Trainer:
    """The objects one session trains with."""

    config: RunConfig
    stage: Stage
    augment_rng: torch.Generator
    batches_per_epoch: int
    dist: Dist = field(default_factory=Dist)

    @property
    def total_steps(self) -> int:
        return self.batches_per_epoch * self.config.train.epochs


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The data order of one epoch: a pure function of (seed, epoch)."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


def best_key(stage: Stage) -> str:
    """The checkpoint key of the best value so far: `best_val_recon` for the tokenizer."""
    return f"best_{stage.best_metric}"
