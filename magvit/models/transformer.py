"""Stage 2: a bidirectional transformer over the frozen tokenizer's token grid (MaskGIT / MAGVIT).

`TransformerConfig` is the `transformer:` section of a run config; `MaskedTokenTransformer`
maps a token grid (B, t, h, w) whose unknown positions hold the [MASK] id (= codebook size)
to logits over the codebook at every position.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from magvit.errors import ConfigError

TASKS = ("predict", "interpolate")
DECODE_ORDERS = ("joint", "frames")


def _fail(name: str, value: Any, reason: str) -> None:
    raise ConfigError(f"transformer.{name} = {value!r}: {reason}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of the masked-token transformer, its conditioning task and its decoding; small CPU defaults."""

    dim: int = 128
    """Width of the token embeddings and of every block."""
    depth: int = 4
    """Number of pre-LN transformer blocks."""
    heads: int = 4
    """Attention heads per block (must divide dim)."""
    mlp_ratio: float = 4.0
    """Hidden width of each block's MLP as a multiple of dim."""
    dropout: float = 0.0
    """Dropout on attention weights and MLP outputs while training."""
    task: str = "predict"
    """`predict`: the first `condition_frames` latent frames are given; `interpolate`: the first and last `condition_frames` are given."""
    condition_frames: int = 1
    """Latent (token) frames given at each end the task conditions on; each covers the tokenizer's temporal factor of video frames."""
    prefix_mask_share: float = 0.0
    """Share of training clips masked frame by frame (`magvit.maskgit.draw_mask`): a random unknown latent frame
    partly masked, the later ones fully, the earlier ones visible; 0 masks every clip uniformly (MaskGIT)."""
    label_smoothing: float = 0.1
    """Label smoothing of the masked-token cross-entropy (MaskGIT uses 0.1)."""
    decode_steps: int = 12
    """MaskGIT decoding iterations: every unknown token is filled after exactly this many."""
    temperature: float = 1.0
    """Sampling temperature of the first decoding step, annealed linearly towards 0; 0 decodes greedily."""
    choice_temperature: float = 0.0
    """Scale of the Gumbel noise added to the log-confidence that decides which sampled tokens stay (MaskGIT's
    choice temperature), annealed like `temperature`; 0 ranks by probability alone."""
    decode_order: str = "joint"
    """`joint`: MaskGIT over every unknown token at once; `frames`: one latent frame after another in time order,
    each in `decode_steps` steps with the later frames held masked."""
    tokenizer_checkpoint: str | None = None
    """The frozen tokenizer's checkpoint (.pt); its sha256 is recorded in every transformer checkpoint."""
    clip_shape: tuple[int, int, int] = (16, 32, 32)
    """(frames, height, width) of the clips; with the tokenizer's factors it fixes the token grid and the position embeddings."""

    def __post_init__(self) -> None:
        for name, least in (("dim", 1), ("depth", 1), ("heads", 1), ("condition_frames", 1), ("decode_steps", 1)):
            value = getattr(self, name)
            if not _is_int(value):
                _fail(name, value, "must be an integer")
            if value < least:
                _fail(name, value, f"must be at least {least}")
        if self.dim % self.heads:
            _fail("heads", self.heads, f"must divide dim ({self.dim})")
        if not _is_number(self.mlp_ratio) or self.mlp_ratio <= 0:
            _fail("mlp_ratio", self.mlp_ratio, "must be a finite number > 0")
        for name in ("dropout", "label_smoothing"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value < 1:
                _fail(name, value, "must be a number in [0, 1)")
        if not _is_number(self.prefix_mask_share) or not 0 <= self.prefix_mask_share <= 1:
            _fail("prefix_mask_share", self.prefix_mask_share, "must be a number in [0, 1]")
        for name in ("temperature", "choice_temperature"):
            if not _is_number(getattr(self, name)) or getattr(self, name) < 0:
                _fail(name, getattr(self, name), "must be a finite number >= 0")
        if self.decode_order not in DECODE_ORDERS:
            _fail("decode_order", self.decode_order, f"must be one of {', '.join(DECODE_ORDERS)}")
        if self.task not in TASKS:
            _fail("task", self.task, f"must be one of {', '.join(TASKS)}")
        shape = self.clip_shape
        if not isinstance(shape, tuple) or len(shape) != 3 or not all(_is_int(v) and v >= 1 for v in shape):
            _fail("clip_shape", shape, "must be a list of three integers >= 1: [frames, height, width]")
        if self.tokenizer_checkpoint is not None and not isinstance(self.tokenizer_checkpoint, str):
            _fail("tokenizer_checkpoint", self.tokenizer_checkpoint, "must be a path (a string)")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists for tuples), as stored in checkpoints and YAML."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TransformerConfig":
        """Build from a mapping; unknown keys are rejected by name."""
        if not isinstance(values, dict):
            raise ConfigError(f"transformer: expected a mapping, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"transformer: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(LN(x)), then x + mlp(LN(x)); attention is bidirectional."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class MaskedTokenTransformer(nn.Module):
    """Token grid (B, t, h, w) with [MASK] = `vocab_size` -> logits (B, t, h, w, vocab_size).

    Positions are learned and factorised over time, height and width (their sum is added to
    the token embedding), so the parameter count grows with t + h + w, not t * h * w.
    """

    def __init__(self, cfg: TransformerConfig, vocab_size: int, grid: tuple[int, int, int]) -> None:
        super().__init__()
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be at least 2, got {vocab_size}")
        self.config, self.vocab_size, self.grid = cfg, vocab_size, tuple(grid)
        self.mask_id = vocab_size
        t, h, w = self.grid
        self.token_embedding = nn.Embedding(vocab_size + 1, cfg.dim)
        self.pos_t = nn.Parameter(torch.randn(t, cfg.dim) * 0.02)
        self.pos_h = nn.Parameter(torch.randn(h, cfg.dim) * 0.02)
        self.pos_w = nn.Parameter(torch.randn(w, cfg.dim) * 0.02)
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim)
        self.head = nn.Linear(cfg.dim, vocab_size)  # never predicts [MASK]
        nn.init.normal_(self.token_embedding.weight, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 4 or tuple(tokens.shape[1:]) != self.grid:
            raise ValueError(f"expected a token grid (B, {', '.join(map(str, self.grid))}), got {tuple(tokens.shape)}")
        b = tokens.shape[0]
        pos = self.pos_t[:, None, None] + self.pos_h[None, :, None] + self.pos_w[None, None, :]
        x = (self.token_embedding(tokens) + pos).reshape(b, -1, self.config.dim)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)).reshape(b, *self.grid, self.vocab_size)
