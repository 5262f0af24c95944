"""Loading what training wrote: a checkpoint file (tensors on the CPU, `weights_only=True`),
the tokenizer model of a tokenizer checkpoint, and the held-out clips of a run's data set
(the split the trainer validated on). Used by evaluation, generation and the transformer
stage, which is why it lives apart from all three."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from magvit.data import DataFileError, load, load_clips, split_indices
from magvit.errors import EvalError
from magvit.models import TokenizerConfig, VQTokenizer


def read_checkpoint(checkpoint: str | os.PathLike, error: type[Exception] = EvalError) -> Any:
    """A checkpoint file's contents (tensors on the CPU, `weights_only=True`), or `error` naming the file."""
    path = Path(checkpoint)
    if not path.is_file():
        raise error(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated files, foreign pickles: all unusable
        raise error(f"{path}: cannot be loaded as a checkpoint ({exc})") from exc


def load_model(checkpoint: str | os.PathLike) -> tuple[VQTokenizer, dict[str, Any]]:
    """The tokenizer of a checkpoint (in eval mode) and the checkpoint dict."""
    path = Path(checkpoint)
    saved = read_checkpoint(path)
    if not isinstance(saved, dict) or "model" not in saved or not isinstance(saved.get("config"), dict):
        raise EvalError(f"{path}: not a tokenizer checkpoint (needs 'model' and 'config' entries)")
    if saved.get("stage", "tokenizer") != "tokenizer":
        raise EvalError(f"{path}: a {saved['stage']!r} checkpoint, not a tokenizer's")
    config = saved["config"]
    try:
        model = VQTokenizer(TokenizerConfig.from_dict(config.get("tokenizer") or {}))
        # an adversarial run validates with its generator EMA, so evaluation uses it too
        model.load_state_dict(saved.get("generator_ema", saved["model"]))
    except (ValueError, RuntimeError, TypeError) as exc:
        raise EvalError(f"{path}: the model does not match its config ({exc})") from exc
    return model.eval(), saved


def held_out(config: dict[str, Any], n: int) -> np.ndarray:
    """Indices of the held-out clips for the run's train.seed and train.val_fraction."""
    train = config.get("train") or {}
    if "seed" not in train or "val_fraction" not in train:
        raise EvalError("the checkpoint's config has no train.seed / train.val_fraction to rebuild the split")
    _, val_idx = split_indices(n, float(train["val_fraction"]), int(train["seed"]))
    if len(val_idx) == 0:
        raise EvalError("the run holds out no clips (train.val_fraction is 0)")
    return val_idx


@dataclass(frozen=True)
class HeldOut:
    """The held-out clips of a data set, with what the object metrics need."""

    x: torch.Tensor
    """Clips (N, C, T, H, W) in [0, 1]."""
    positions: torch.Tensor | None
    """(N, T, 2): the disk's stored centre per frame; None when the data set has none."""
    labels: torch.Tensor
    label_names: list[str]


def load_held_out(data: str | os.PathLike, config: dict[str, Any]) -> HeldOut:
    """The held-out clips of `data` for a run's config (its train.seed and train.val_fraction)."""
    try:
        clips = load(data)
        videos, labels = load_clips(data)
    except DataFileError as exc:
        raise EvalError(str(exc)) from exc
    idx = held_out(config, len(videos))
    positions = getattr(clips, "positions", None)
    return HeldOut(x=videos[torch.from_numpy(idx)], labels=labels[torch.from_numpy(idx)],
                   positions=None if positions is None else torch.from_numpy(positions[idx].astype("float32")),
                   label_names=[str(name) for name in clips.label_names])
