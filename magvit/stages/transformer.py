"""The transformer stage: masked token modeling over a frozen tokenizer's token grids.

The tokenizer comes from `transformer.tokenizer_checkpoint` (read with weights_only=True), is
frozen, and tokenizes each clip once (`TokenCache`). COMMIT-style conditioning: the given latent
frames are the tokens of the *condition clip* (the clip with every frame of the unknown part
replaced by the nearest given frame, see `condition_clip`), so that no given token has seen
a future frame through the tokenizer's receptive field, exactly as at generation time; the
targets are the tokens of the real clip.

Checkpoint keys (merged into the session's payload): `model`, `optimizer`, `scheduler`,
`mask_rng` (the generator of the training masks), `tokenizer_sha256`, `tokenizer_checkpoint`.
A resume refuses a checkpoint whose tokenizer's sha256 differs from the configured one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from magvit import distributed
from magvit.atomic import file_sha256
from magvit.config import RunConfig
from magvit.distributed import Dist
from magvit.errors import EvalError, TrainError
from magvit.loading import load_model
from magvit.maskgit import apply_mask, draw_mask, given_positions, masked_accuracy, masked_loss
from magvit.models.transformer import MaskedTokenTransformer
from magvit.stages import lr_scheduler, steps_per_epoch
from magvit.stages.base import Stage

VALIDATION_MASK_SEED = 1234
"""Validation masks come from their own generator, seeded the same at every validation: comparable epochs, no draw from training RNGs."""


@dataclass(frozen=True)
class FrozenTokenizer:
    """A trained tokenizer in eval mode with gradients off, and what identifies it."""

    model: torch.nn.Module
    path: str
    sha256: str
    vocab_size: int
    temporal_factor: int
    """Video frames per latent frame."""

    def grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        return self.model.config.token_shape(frames, height, width)

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x)

    @torch.no_grad()
    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.model.decode_indices(tokens)


def load_frozen_tokenizer(path: str | Path, expected_sha256: str | None = None) -> FrozenTokenizer:
    """The tokenizer of a tokenizer checkpoint, frozen; TrainError naming the file when it cannot be used."""
    path = Path(path)
    try:
        model, saved = load_model(path)
    except EvalError as exc:
        raise TrainError(f"tokenizer checkpoint: {exc}") from exc
    if saved.get("stage", "tokenizer") != "tokenizer":
        raise TrainError(f"tokenizer checkpoint {path}: is a {saved.get('stage')!r} checkpoint, not a tokenizer's")
    digest = file_sha256(path)
    if expected_sha256 is not None and digest != expected_sha256:
        raise TrainError(f"tokenizer checkpoint {path}: its sha256 {digest[:12]}... differs from the "
                         f"{expected_sha256[:12]}... the transformer was trained with (a different tokenizer)")
    model.requires_grad_(False)
    cfg = model.config
    return FrozenTokenizer(model=model.eval(), path=str(path), sha256=digest, vocab_size=int(cfg.codebook_size),
                           temporal_factor=int(cfg.downsample_factors[0]))


def condition_sources(given_latent_frames: torch.Tensor, temporal_factor: int) -> torch.Tensor:
    """For each video frame, the frame the condition clip shows there: itself when its latent frame
    is given, else the nearest frame of a given latent frame (the earlier on a tie)."""
    latent_given = given_latent_frames.repeat_interleave(temporal_factor)
    frames = torch.arange(len(latent_given))
    known = frames[latent_given]
    distance = (frames[:, None] - known[None, :]).abs() * 2 + (known[None, :] > frames[:, None]).long()
    return known[distance.argmin(1)]


def condition_clip(x: torch.Tensor, given_latent_frames: torch.Tensor, temporal_factor: int) -> torch.Tensor:
    """The clip with every unknown frame replaced by the nearest given frame (for prediction: the
    last conditioning frame repeated, which is also the copy-last-frame baseline)."""
    return x[:, :, condition_sources(given_latent_frames, temporal_factor)]


def task_tokens(tokenizer: FrozenTokenizer, x: torch.Tensor, given: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(targets, inputs before masking) of clips `x`: the clip's tokens, and the same with the
    `given` positions (t, h, w) taken from the condition clip's tokens."""
    targets = tokenizer.encode(x)
    conditioned = tokenizer.encode(condition_clip(x, given[:, 0, 0], tokenizer.temporal_factor))
    return targets, torch.where(given, conditioned, targets)


TokensOf = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""Clips -> (targets, inputs before masking), as `task_tokens` gives them."""


class TokenCache:
    """`task_tokens` of clips, remembered by the clips' bytes: the frozen tokenizer runs once per
    clip (and flip) instead of every epoch. Each clip is encoded alone, so its tokens never
    depend on which clips shared its batch, and a resumed run gets the very same tokens."""

    def __init__(self, tokenizer: FrozenTokenizer, given: torch.Tensor) -> None:
        self.tokenizer, self.given = tokenizer, given
        self._grids: dict[bytes, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keys = [hashlib.sha256(clip.contiguous().numpy().tobytes()).digest() for clip in x]
        for i, key in enumerate(keys):
            if key not in self._grids:
                targets, inputs = task_tokens(self.tokenizer, x[i:i + 1], self.given)
                self._grids[key] = (targets[0], inputs[0])
        return (torch.stack([self._grids[k][0] for k in keys]), torch.stack([self._grids[k][1] for k in keys]))


def token_mean_weight(masked_here: int, masked_in_global_batch: int, clips_here: int, n_global: int) -> float:
    """The factor that makes a rank's mean over its own masked tokens count as its share of the
    global batch's token mean.

    Clips hold different numbers of masked tokens, so the clip-weighted mean over ranks of each
    rank's token mean (how the session averages gradients and losses: weight clips_here / n_global)
    is not the token mean of the global batch that one process would take. Every rank knows the
    whole global batch's masks, so the correction needs no communication; in one process it is 1.0
    exactly (the single-process loss is unchanged to the bit).
    """
    return (masked_here / masked_in_global_batch) * (n_global / clips_here) if clips_here else 0.0


@torch.no_grad()
def masked_token_metrics(model: MaskedTokenTransformer, tokens_of: TokensOf, given: torch.Tensor, x: torch.Tensor,
                         batch_size: int, seed: int = VALIDATION_MASK_SEED) -> tuple[float, float]:
    """(cross-entropy, top-1 accuracy) over masked tokens of clips `x` (`tokens_of` gives their
    targets and inputs, see `task_tokens`), masks drawn by the cosine schedule from a generator
    seeded with `seed`; leaves the model in eval mode."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    loss_sum = correct = masked = 0.0
    for start in range(0, len(x), batch_size):
        targets, inputs = tokens_of(x[start:start + batch_size])
        mask = draw_mask(len(targets), given, generator)
        logits = model(apply_mask(inputs, mask, model.mask_id))
        n = float(mask.sum())
        loss_sum += float(masked_loss(logits, targets, mask)) * n
        correct += float(masked_accuracy(logits, targets, mask)) * n
        masked += n
    return loss_sum / masked, correct / masked


class TransformerStage(Stage):
    """Masked-token transformer, AdamW, warmup + cosine; the best checkpoint has the lowest val_loss."""

    name = "transformer"
    best_metric = "val_loss"

    def __init__(self, config: RunConfig, n_train: int, dist: Dist) -> None:
        tc, cfg = config.train, config.transformer
        self.config, self.cfg, self.dist = config, cfg, dist
        if not cfg.tokenizer_checkpoint:
            raise TrainError("the transformer stage needs a tokenizer: pass --tokenizer CKPT "
                             "(or set transformer.tokenizer_checkpoint in the config)")
        self.tokenizer = load_frozen_tokenizer(cfg.tokenizer_checkpoint)
        try:
            self.grid = self.tokenizer.grid(*cfg.clip_shape)
            self.given = given_positions(self.grid, cfg.task, cfg.condition_frames)
        except ValueError as exc:
            raise TrainError(f"transformer.clip_shape {list(cfg.clip_shape)} with this tokenizer: {exc}") from exc
        self.model = MaskedTokenTransformer(cfg, self.tokenizer.vocab_size, self.grid)
        self.grad_clip = tc.grad_clip
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay,
                                           betas=(0.9, 0.96))
        self.scheduler = lr_scheduler(self.optimizer, tc, steps_per_epoch(tc, n_train, dist) * tc.epochs)
        self.mask_rng = torch.Generator().manual_seed(tc.seed + 2)
        self.tokens_of = TokenCache(self.tokenizer, self.given)

    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def clip_problem(self, x: torch.Tensor) -> str | None:
        channels, wanted = int(x.shape[1]), self.tokenizer.model.config.in_channels
        if channels != wanted:
            return (f"the clips have {channels} channel{'s' if channels != 1 else ''}, but the tokenizer "
                    f"{self.tokenizer.path} takes {wanted}")
        if tuple(x.shape[2:]) != tuple(self.cfg.clip_shape):
            return (f"the clips are {tuple(x.shape[2:])} (frames, height, width) but transformer.clip_shape is "
                    f"{list(self.cfg.clip_shape)}: set it to the data's clip shape")
        return None

    def check_clips(self, x: torch.Tensor) -> None:
        """TrainError unless the clips have the configured shape (the token grid depends on it)."""
        if tuple(x.shape[2:]) != tuple(self.cfg.clip_shape):
            raise TrainError(f"clips are {tuple(x.shape[2:])} (frames, height, width) but transformer.clip_shape is "
                             f"{list(self.cfg.clip_shape)}: set it to the data's clip shape")

    def training_masks(self, n_global: int, dist: Dist) -> torch.Tensor:
        """This rank's masks for a global batch of `n_global` clips.

        Every rank draws the masks of the whole global batch (the generators stay in step) and
        takes its own clips' share: the mask a clip gets does not depend on the world size.
        """
        return self._masks_and_weight(n_global, dist)[0]

    def _masks_and_weight(self, n_global: int, dist: Dist) -> tuple[torch.Tensor, float]:
        """(`training_masks`, the `token_mean_weight` of this rank's share) from one draw."""
        every = draw_mask(n_global, self.given, self.mask_rng, self.cfg.prefix_mask_share)
        masks = distributed.shard(every, dist)
        return masks, token_mean_weight(int(masks.sum()), int(every.sum()), len(masks), n_global)

    def train_step(self, x: torch.Tensor, n_global: int, dist: Dist) -> dict[str, float]:
        model = self.model
        model.train()
        self.optimizer.zero_grad(set_to_none=True)
        masks, weight = self._masks_and_weight(n_global, dist)
        losses: dict[str, float] = {}
        if len(x):  # a rank can get no clips when the last global batch is smaller than the group
            self.check_clips(x)
            targets, inputs = self.tokens_of(x)
            logits = model(apply_mask(inputs, masks, model.mask_id))
            loss = masked_loss(logits, targets, masks, self.cfg.label_smoothing) * weight
            loss.backward()
            losses = {"train": float(loss.detach()),
                      "masked_acc": float(masked_accuracy(logits.detach(), targets, masks)) * weight}
        distributed.average_gradients(model, len(x), n_global, dist)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        return losses

    def validate(self, val_x: torch.Tensor, batch_size: int) -> dict[str, float]:
        """Cross-entropy and top-1 accuracy on masked held-out tokens (masks from a fixed seed)."""
        self.check_clips(val_x)
        loss, accuracy = masked_token_metrics(self.model, self.tokens_of, self.given, val_x, batch_size)
        self.model.train()
        return {"val_loss": loss, "val_masked_acc": accuracy}

    def describe(self, metrics: dict[str, float]) -> str:
        return f"val loss {metrics['val_loss']:.4f} val masked-token accuracy {metrics['val_masked_acc']:.1%}"

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "mask_rng": self.mask_rng.get_state(),
                "tokenizer_sha256": self.tokenizer.sha256, "tokenizer_checkpoint": self.tokenizer.path}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved_sha = state["tokenizer_sha256"]
        if saved_sha != self.tokenizer.sha256:
            raise TrainError(
                f"the checkpoint was trained on the tokenizer {state.get('tokenizer_checkpoint')} "
                f"(sha256 {saved_sha[:12]}...), and this run's tokenizer {self.tokenizer.path} is another file "
                f"(sha256 {self.tokenizer.sha256[:12]}...). Resume with the same --tokenizer, or pick a new --run-dir."
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.mask_rng.set_state(state["mask_rng"])
