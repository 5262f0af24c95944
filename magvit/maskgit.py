"""Masked token modeling and MaskGIT decoding over a token grid (B, t, h, w).

Training: the `given` positions of the task (COMMIT-style conditioning: the first latent
frames for prediction, the first and last for interpolation) are never masked; of the other
positions a share cos(pi/2 * u), u ~ U(0, 1), is replaced by [MASK] and the loss is the
cross-entropy on the masked positions only.

Decoding: every non-given position starts masked; each of `steps` iterations predicts all
masked tokens, samples them with an annealed temperature and keeps the most confident ones
so that the number still masked follows the same cosine schedule, reaching zero after
exactly `steps` iterations. Randomness comes only from the generator passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn import functional as F


def cosine_mask_ratio(u: torch.Tensor | float) -> torch.Tensor:
    """The MaskGIT schedule: share of unknown tokens masked at progress u in [0, 1] (1 at u=0, 0 at u=1)."""
    return torch.cos(math.pi / 2 * torch.as_tensor(u, dtype=torch.float64))


def given_positions(grid: tuple[int, int, int], task: str, condition_frames: int) -> torch.Tensor:
    """Bool (t, h, w): True where the task gives the token (the conditioning latent frames)."""
    t, h, w = grid
    if task == "predict":
        needed = condition_frames + 1
    elif task == "interpolate":
        needed = 2 * condition_frames + 1
    else:
        raise ValueError(f"unknown task {task!r} (expected 'predict' or 'interpolate')")
    if t < needed:
        raise ValueError(f"a {task} task with condition_frames={condition_frames} needs at least {needed} "
                         f"latent frames, the token grid has {t}")
    given = torch.zeros(t, h, w, dtype=torch.bool)
    given[:condition_frames] = True
    if task == "interpolate":
        given[t - condition_frames:] = True
    return given


def draw_mask(batch: int, given: torch.Tensor, generator: torch.Generator | None = None,
              prefix_share: float = 0.0) -> torch.Tensor:
    """Bool (B, t, h, w): the positions to mask, per clip a cosine-schedule share (at least one) of the non-given ones.

    With `prefix_share` above 0, that share of the clips gets a frame-by-frame mask instead (MAGVIT's
    frame prediction with a varying number of known frames): a random latent frame k that is not
    given keeps the cosine-share mask inside it, every later non-given position is masked and every
    earlier one is left visible. Decoding one latent frame at a time then sees inputs like training's.
    The extra draws come after the plain ones, so `prefix_share=0` gives the same masks as before.
    """
    targets = ~given.reshape(-1)
    n_targets = int(targets.sum())
    if n_targets == 0:
        raise ValueError("every position is given: nothing to predict")
    u = torch.rand(batch, generator=generator, dtype=torch.float64)
    n_mask = (cosine_mask_ratio(u) * n_targets).ceil().clamp(1, n_targets).long()
    scores = torch.rand(batch, targets.numel(), generator=generator)
    scores[:, ~targets] = 2.0  # given positions sort last: never chosen
    rank = scores.argsort(dim=1).argsort(dim=1)
    mask = (rank < n_mask[:, None]).reshape(batch, *given.shape)
    if prefix_share <= 0:
        return mask
    open_frames = (~given).flatten(1).any(1).nonzero()[:, 0]  # latent frames with something to predict
    chosen = torch.rand(batch, generator=generator) < prefix_share
    k = open_frames[torch.randint(len(open_frames), (batch,), generator=generator)]
    frame = torch.arange(given.shape[0])[None, :, None, None]
    cut = k[:, None, None, None]
    prefix = ((frame > cut) & ~given) | ((frame == cut) & mask)
    whole = (frame >= cut) & ~given  # when the last frame drew nothing to mask: all of it, never an empty mask
    prefix = torch.where(prefix.flatten(1).any(1)[:, None, None, None], prefix, whole)
    return torch.where(chosen[:, None, None, None], prefix, mask)


def apply_mask(tokens: torch.Tensor, mask: torch.Tensor, mask_id: int) -> torch.Tensor:
    """The tokens with masked positions replaced by [MASK]."""
    return torch.where(mask, torch.full_like(tokens, mask_id), tokens)


def masked_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy over the masked positions only."""
    return F.cross_entropy(logits[mask], targets[mask], label_smoothing=label_smoothing)


def masked_accuracy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Top-1 accuracy over the masked positions."""
    return (logits[mask].argmax(-1) == targets[mask]).double().mean()


def masked_after_step(n_unknown: int, step: int, steps: int) -> int:
    """Tokens still masked after decoding iteration `step` (0-based) of `steps`: the cosine schedule,
    at least one fewer than before each step while any remain, and none after the last."""
    if step >= steps - 1:
        return 0
    scheduled = math.floor(n_unknown * float(cosine_mask_ratio((step + 1) / steps)))
    before = n_unknown if step == 0 else masked_after_step(n_unknown, step - 1, steps)
    return max(0, min(scheduled, before - 1))


@dataclass(frozen=True)
class Decoded:
    """The result of MaskGIT decoding."""

    tokens: torch.Tensor
    """The completed grid (B, t, h, w): no [MASK] left."""
    masked_per_step: tuple[int, ...]
    """Positions of the first clip still masked before step 0, after step 0, ..., after the last step."""
    model_calls: int
    """Forward passes of the transformer (one per step)."""


@torch.no_grad()
def decode(
    model: Callable[[torch.Tensor], torch.Tensor],
    tokens: torch.Tensor,
    given: torch.Tensor,
    mask_id: int,
    steps: int = 12,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    hold: torch.Tensor | None = None,
    choice_temperature: float = 0.0,
) -> Decoded:
    """Fill every non-given position of `tokens` (B, t, h, w) in exactly `steps` iterations.

    `given` is bool (t, h, w) or (B, t, h, w); given tokens are returned untouched. Step s
    samples at temperature `temperature * (1 - s / steps)` (greedy when that is 0) and ranks
    the sampled tokens by their probability, so that confident tokens are fixed first. With
    `choice_temperature` above 0 the ranking is by log-probability plus Gumbel noise of that
    scale, annealed like the temperature (MaskGIT's choice temperature): an unlikely but
    sampled token, such as a moving object's edge, is not always the first sent back.
    `hold` (bool like `given`) marks positions that stay [MASK] in the model's input and the
    result: decoding one latent frame at a time holds the later ones.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    b = tokens.shape[0]
    given = given.expand_as(tokens).reshape(b, -1)
    held = torch.zeros_like(given) if hold is None else hold.expand_as(tokens).reshape(b, -1) & ~given
    unknown = ~given & ~held
    n_unknown = int(unknown[0].sum())
    if not bool((unknown.sum(1) == n_unknown).all()):
        raise ValueError("every clip must have the same number of unknown positions")
    current = torch.where(given, tokens.reshape(b, -1), torch.full_like(tokens.reshape(b, -1), mask_id))
    still_masked = unknown.clone()
    history = [n_unknown]
    calls = 0
    for step in range(steps):
        logits = model(current.reshape(tokens.shape)).reshape(b, current.shape[1], -1).double()
        calls += 1
        temp = temperature * (1 - step / steps)
        probs = F.softmax(logits, dim=-1)
        if temp <= 1e-6:
            sampled = probs.argmax(-1)
        else:
            tempered = F.softmax(logits / temp, dim=-1)
            sampled = torch.multinomial(tempered.reshape(-1, tempered.shape[-1]), 1,
                                        generator=generator).reshape(b, -1)
        confidence = probs.gather(-1, sampled[..., None])[..., 0]
        if choice_temperature > 0:
            noise = -torch.log(-torch.log(torch.rand(confidence.shape, generator=generator, dtype=torch.float64)
                                          .clamp(1e-12, 1 - 1e-12)))
            confidence = confidence.clamp_min(1e-30).log() + choice_temperature * (1 - step / steps) * noise
        confidence = torch.where(still_masked, confidence, torch.full_like(confidence, math.inf))
        n_keep_masked = masked_after_step(n_unknown, step, steps)
        proposal = torch.where(still_masked, sampled, current)
        if n_keep_masked:
            # the least confident of the newly sampled tokens go back to [MASK]
            order = confidence.argsort(dim=1, stable=True)
            remask = torch.zeros_like(still_masked)
            remask.scatter_(1, order[:, :n_keep_masked], True)
            proposal = torch.where(remask, torch.full_like(proposal, mask_id), proposal)
            still_masked = remask
        else:
            still_masked = torch.zeros_like(still_masked)
        current = proposal
        history.append(int(still_masked[0].sum()))
    return Decoded(tokens=current.reshape(tokens.shape), masked_per_step=tuple(history), model_calls=calls)
