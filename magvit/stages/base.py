"""The contract between the generic training session (magvit/train.py) and what it trains.

The session owns everything about the *process*: data order and position, the clock, the
checkpoint manager (interval, retention, atomic writes), progress, heartbeat, events,
preemption and resume. A stage owns everything about the *model*: its modules, optimizers,
schedules and any extra state (generator EMA, LeCam EMA, a frozen tokenizer), one optimizer
step and the validation metrics. Two stages exist: `tokenizer` (VQ or LFQ, optionally
adversarial) and `transformer` (masked token modeling over a frozen tokenizer's tokens).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import torch

from magvit.distributed import Dist


class Stage(abc.ABC):
    """One trainable stage; built from the run config, on every rank identically (seeded)."""

    name: ClassVar[str]
    """Recorded as `stage` in every checkpoint payload and manifest; a resume refuses another stage's checkpoint."""
    best_metric: ClassVar[str]
    """The validation metric (lower is better) that decides `best.pt`."""

    @abc.abstractmethod
    def train_step(self, x: torch.Tensor, n_global: int, dist: Dist) -> dict[str, float]:
        """One training step on this rank's clips `x` (B, C, T, H, W) in [0, 1], augmented by the
        session, of a global batch of `n_global` clips.

        Steps every optimizer of the stage (a GAN steps discriminator and generator) and its
        schedules; averages gradients over ranks with `distributed.average_gradients` before each
        optimizer step and broadcasts buffers after. Returns this rank's losses, at least `train`;
        the session averages them over ranks. Draws randomness only from torch's global RNG or
        from generators that `state_dict` returns, so that a resume is bit-exact.
        """

    @abc.abstractmethod
    def validate(self, val_x: torch.Tensor, batch_size: int) -> dict[str, float]:
        """Metrics on the held-out clips, at least `val_loss` and `best_metric`; no parameter changes."""

    @abc.abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything of the stage needed to continue exactly: model(s), optimizer(s), schedule(s),
        EMA weights, LeCam state, private generators. Tensors, numbers, strings, lists and dicts
        only, so that `torch.load(..., weights_only=True)` reads it."""

    @abc.abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Put back what `state_dict` returned."""

    def clip_problem(self, x: torch.Tensor) -> str | None:
        """Why this stage cannot train on clips shaped like `x` (N, C, T, H, W), or None when it can.
        Asked once at the start, before the run directory is touched."""
        return None

    def learning_rate(self) -> float | None:
        """The main optimizer's current learning rate, for the batch log line (None: not shown)."""
        return None

    def describe(self, metrics: dict[str, float]) -> str:
        """The metrics part of the end-of-epoch line (train.log and stdout)."""
        return " ".join(f"{k} {v:.5g}" for k, v in metrics.items() if k not in ("epoch", "step"))
