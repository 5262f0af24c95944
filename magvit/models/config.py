"""TokenizerConfig: the sizes and loss settings of the MAGVIT 3D-VQ tokenizer."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from magvit.errors import ConfigError

CODEBOOK_UPDATES = ("ema", "loss")
QUANTIZERS = ("vq", "lfq")
LFQ_MAX_BITS = 12  # magvit.models.lfq.MAX_BITS (not imported: the config must not need torch modules)


def _fail(name: str, value: Any, reason: str) -> None:
    raise ConfigError(f"tokenizer.{name} = {value!r}: {reason}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class TokenizerConfig:
    """Architecture and quantizer settings; the defaults are magvit/configs/default.yaml's and map
    16x32x32 RGB clips to an 8x8x8 token grid (patch 2x2x2, then one spatial 2x2 downsampling)."""

    in_channels: int = 3
    """Colour channels of the clips."""
    base_channels: int = 32
    """Channels of the first level; level i has base_channels * channel_multipliers[i]."""
    channel_multipliers: tuple[int, ...] = (1, 2)
    """Channel multiplier per resolution level; there is one downsampling step between consecutive levels."""
    num_res_blocks: int = 1
    """Residual blocks (GroupNorm, swish, 3x3x3 conv, twice) per level and in the middle, in encoder and decoder."""
    patch_size: tuple[int, int] = (2, 2)
    """(temporal, spatial) space-to-depth folding of the clip before the first conv, undone by depth-to-space after the last; (2, 2) keeps every conv off the full-resolution grid."""
    temporal_downsample: tuple[bool, ...] = (False,)
    """Per downsampling step: halve the frame count (len = len(channel_multipliers) - 1); the default keeps
    the patch's factor 2 only, so that a latent frame covers 2 video frames (docs/tokenizer.md)."""
    spatial_downsample: tuple[bool, ...] = (True,)
    """Per downsampling step: halve height and width (len = len(channel_multipliers) - 1)."""
    num_groups: int = 32
    """GroupNorm groups; must divide every level's channel count (one channel per group learned fastest here)."""
    embedding_dim: int = 64
    """Dimension of the latent vectors and codebook entries."""
    codebook_size: int = 256
    """Number of codebook entries (the token vocabulary)."""
    commitment_weight: float = 0.25
    """Weight of the commitment loss ||z - sg(e)||^2."""
    codebook_update: str = "ema"
    """How codes learn: `ema` (exponential moving averages of assigned latents) or `loss` (the codebook loss ||sg(z) - e||^2)."""
    ema_decay: float = 0.99
    """Decay of the EMA codebook statistics and of the per-code usage counts."""
    entropy_weight: float = 0.001
    """Weight of the entropy regulariser (mean per-sample entropy minus codebook-average entropy); 0 disables it."""
    entropy_temperature: float = 0.01
    """Temperature of the softmax over negative distances used by the entropy regulariser."""
    dead_code_threshold: float = 1.0
    """A code whose EMA count of assignments per batch falls below this is restarted from a random encoder output; 0 disables restarts."""
    quantizer: str = "vq"
    """`vq` (nearest codebook entry) or `lfq` (MAGVIT-v2 lookup-free: the sign of each latent channel; needs codebook_size = 2 ** embedding_dim)."""
    causal: bool = False
    """Causal 3D convolutions and per-frame GroupNorm: no latent frame depends on later video frames."""

    def __post_init__(self) -> None:
        for name in ("in_channels", "base_channels", "num_res_blocks", "num_groups", "embedding_dim", "codebook_size"):
            value = getattr(self, name)
            least = 0 if name == "num_res_blocks" else (2 if name == "codebook_size" else 1)
            if not _is_int(value):
                _fail(name, value, "must be an integer")
            if value < least:
                _fail(name, value, f"must be at least {least}")
        patch = self.patch_size
        if not isinstance(patch, tuple) or len(patch) != 2 or not all(_is_int(p) and p >= 1 for p in patch):
            _fail("patch_size", patch, "must be a list of two integers >= 1: [temporal, spatial]")
        mults = self.channel_multipliers
        if not isinstance(mults, tuple) or not mults or not all(_is_int(m) and m >= 1 for m in mults):
            _fail("channel_multipliers", mults, "must be a non-empty list of integers >= 1")
        for name in ("temporal_downsample", "spatial_downsample"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, bool) for v in value):
                _fail(name, value, "must be a list of true/false")
            if len(value) != len(mults) - 1:
                _fail(name, value, f"must have len(channel_multipliers) - 1 = {len(mults) - 1} entries")
        for m in mults:
            if (self.base_channels * m) % self.num_groups:
                _fail("num_groups", self.num_groups, f"must divide every level's channels, not {self.base_channels * m}")
        for name in ("commitment_weight", "entropy_weight", "dead_code_threshold"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                _fail(name, value, "must be a finite number >= 0")
        if not _is_number(self.entropy_temperature) or self.entropy_temperature <= 0:
            _fail("entropy_temperature", self.entropy_temperature, "must be a finite number > 0")
        if self.quantizer not in QUANTIZERS:
            _fail("quantizer", self.quantizer, f"must be one of {', '.join(QUANTIZERS)}")
        if self.quantizer == "lfq":
            if self.embedding_dim > LFQ_MAX_BITS:
                _fail("embedding_dim", self.embedding_dim, f"lfq quantizes each channel to a bit: at most {LFQ_MAX_BITS}")
            if self.codebook_size != 2 ** self.embedding_dim:
                _fail("codebook_size", self.codebook_size,
                      f"lfq has 2 ** embedding_dim = {2 ** self.embedding_dim} codes; set codebook_size to that")
        if not isinstance(self.causal, bool):
            _fail("causal", self.causal, "must be true or false")
        if self.codebook_update not in CODEBOOK_UPDATES:
            _fail("codebook_update", self.codebook_update, f"must be one of {', '.join(CODEBOOK_UPDATES)}")
        if not _is_number(self.ema_decay) or not 0 < self.ema_decay < 1:
            _fail("ema_decay", self.ema_decay, "must be a number strictly between 0 and 1")

    @property
    def downsample_factors(self) -> tuple[int, int]:
        """(temporal, spatial) factor from clip to token grid."""
        pt, ps = self.patch_size
        return pt * 2 ** sum(self.temporal_downsample), ps * 2 ** sum(self.spatial_downsample)

    def token_shape(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        """The (t, h, w) token grid of a clip; ValueError when a size is not divisible by its factor."""
        ft, fs = self.downsample_factors
        for name, size, factor in (("frames", frames, ft), ("height", height, fs), ("width", width, fs)):
            if size % factor:
                raise ValueError(f"clip {name} {size} is not divisible by the downsampling factor {factor}")
        return frames // ft, height // fs, width // fs

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists for tuples), as stored in checkpoints and YAML."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TokenizerConfig":
        """Build from a mapping (lists become tuples); unknown keys are rejected by name."""
        if not isinstance(values, dict):
            raise ConfigError(f"tokenizer: expected a mapping, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"tokenizer: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
