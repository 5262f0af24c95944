"""Typed run configuration: the `train:` section here, the `tokenizer:` section in magvit.models.

A run config file is YAML with these entries, all optional:

    stage: tokenizer   the stage to train (magvit.stages.STAGES): tokenizer or transformer
    tokenizer: {...}   fields of magvit.models.TokenizerConfig
    train: {...}       fields of TrainConfig
    transformer: {...} fields of magvit.models.transformer.TransformerConfig (the transformer stage)
    gan: {...}         fields of magvit.models.gan.GanConfig (adversarial tokenizer training, off by default)

Unknown sections or keys are rejected with the file and key named.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from magvit.errors import ConfigError
from magvit.interval import Interval


# Keys whose value may differ between sessions of one run without changing its trajectory.
EXECUTION_KEYS = frozenset({"checkpoint_every", "keep_last", "log_every", "heartbeat_interval_s", "num_threads"})
# Transformer keys that do not change its training: the tokenizer is identified by the sha256
# its checkpoints record (a moved file is the same tokenizer), decoding happens after training.
TRANSFORMER_EXECUTION_KEYS = frozenset({"tokenizer_checkpoint", "decode_steps", "temperature", "choice_temperature",
                                        "decode_order"})


def _fail(name: str, value: Any, reason: str) -> None:
    raise ConfigError(f"train.{name} = {value!r}: {reason}")


@dataclass(frozen=True)
class TrainConfig:
    """How the tokenizer is trained; every field but the execution keys shapes the trajectory."""

    epochs: int = 10
    """Number of passes over the training split."""
    batch_size: int = 8
    """Clips per optimizer step."""
    lr: float = 3e-4
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay."""
    schedule: str = "cosine"
    """Learning-rate schedule after warmup: `cosine` (to zero at the last step) or `constant`."""
    warmup_steps: int = 0
    """Steps of linear warmup from 0 to `lr`."""
    flip_prob: float = 0.5
    """Probability of flipping a training clip left-right (drawn from the run's augmentation generator)."""
    seed: int = 0
    """Seeds the model init, the validation split and the per-epoch data order."""
    val_fraction: float = 0.1
    """Share of clips held out for validation (at least one clip on each side)."""
    checkpoint_every: Interval | str | float = "2m"
    """Checkpoint interval: a time (`90s`, `2m`, `1h`, or a number of seconds), `500steps` or `1epoch`;
    always held as the parsed `Interval` (a bad one is refused when the config is made)."""
    keep_last: int = 3
    """Periodic checkpoints kept on disk (best, final and preempt are kept apart)."""
    log_every: int = 10
    """Write a batch line to train.log every this many batches."""
    heartbeat_interval_s: float = 15.0
    """Seconds between heartbeat rewrites of progress.json (at most 30)."""
    grad_clip: float | None = 1.0
    """Clip the global gradient norm to this value; null disables clipping."""
    num_threads: int = 1
    """torch CPU threads; fixed so that results are reproducible."""

    def __post_init__(self) -> None:
        _check_int(self, "epochs", minimum=1)
        _check_int(self, "batch_size", minimum=1)
        _check_number(self, "lr", positive=True)
        _check_number(self, "weight_decay", positive=False)
        if self.schedule not in ("cosine", "constant"):
            _fail("schedule", self.schedule, "must be 'cosine' or 'constant'")
        _check_int(self, "warmup_steps", minimum=0)
        _check_number(self, "flip_prob", positive=False)
        if self.flip_prob > 1:
            _fail("flip_prob", self.flip_prob, "must be a probability between 0 and 1")
        _check_int(self, "seed", minimum=0)
        _check_number(self, "val_fraction", positive=True)
        if not self.val_fraction < 1:
            _fail("val_fraction", self.val_fraction, "must be between 0 and 1 (exclusive)")
        try:  # a plain number is seconds, as requirements.md states the interval
            object.__setattr__(self, "checkpoint_every", Interval.coerce(self.checkpoint_every))
        except ValueError as exc:  # the reason quotes the value (a long one cut short)
            raise ConfigError(f"train.checkpoint_every: {exc}") from None
        _check_int(self, "keep_last", minimum=2)
        _check_int(self, "log_every", minimum=1)
        _check_number(self, "heartbeat_interval_s", positive=True)
        if self.heartbeat_interval_s > 30:
            _fail("heartbeat_interval_s", self.heartbeat_interval_s, "must be at most 30 seconds")
        if self.grad_clip is not None:
            _check_number(self, "grad_clip", positive=True)
        _check_int(self, "num_threads", minimum=1)


def _check_int(cfg: Any, name: str, minimum: int) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(name, value, "must be an integer")
    if value < minimum:
        _fail(name, value, f"must be at least {minimum}")


def _check_number(cfg: Any, name: str, positive: bool) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(name, value, "must be a finite number")
    if positive and value <= 0:
        _fail(name, value, "must be greater than zero")
    if not positive and value < 0:
        _fail(name, value, "must not be negative")


STAGE_NAMES = ("tokenizer", "transformer")
"""Values of `stage:` (the registry in magvit.stages maps each to its implementation)."""
SECTIONS = ("tokenizer", "train", "transformer", "gan")
"""The mapping sections of a run config, in to_dict() order."""


@dataclass(frozen=True)
class RunConfig:
    """The resolved configuration of a run: the stage, tokenizer architecture and training settings."""

    stage: str = "tokenizer"
    """What this run trains: `tokenizer` (reconstruction) or `transformer` (masked tokens over a frozen tokenizer)."""
    tokenizer: Any = field(default_factory=lambda: _tokenizer_config_class()())
    """A magvit.models.TokenizerConfig."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """How the tokenizer is trained."""
    transformer: Any = field(default_factory=lambda: _transformer_config_class()())
    """A magvit.models.transformer.TransformerConfig (used by the transformer stage)."""
    gan: Any = field(default_factory=lambda: _gan_config_class()())
    """A magvit.models.gan.GanConfig (adversarial training of the tokenizer stage)."""

    def __post_init__(self) -> None:
        if self.stage not in STAGE_NAMES:
            raise ConfigError(f"stage = {self.stage!r}: must be one of {', '.join(STAGE_NAMES)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain `{"stage": ..., "tokenizer": {...}, "train": {...}}`, as stored in checkpoints and config.yaml."""
        return {"stage": self.stage, **{name: _section_dict(getattr(self, name)) for name in SECTIONS}}

    @classmethod
    def from_dict(cls, data: Any, source: str = "<config>") -> "RunConfig":
        """Build from a `{"tokenizer": ..., "train": ...}` mapping; `source` names it in errors."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping with sections 'tokenizer' and 'train'")
        unknown = sorted(set(data) - {"stage", *SECTIONS})
        if unknown:
            raise ConfigError(f"{source}: unknown section {unknown[0]!r} (expected 'stage', "
                              + ", ".join(f"'{name}'" for name in SECTIONS) + ")")
        stage = data.get("stage", "tokenizer")
        if not isinstance(stage, str) or stage not in STAGE_NAMES:
            raise ConfigError(f"{source}: stage = {stage!r}: must be one of {', '.join(STAGE_NAMES)}")
        tok_cls = _tokenizer_config_class()
        return cls(stage=stage, tokenizer=_build(tok_cls, data.get("tokenizer"), source, "tokenizer"),
                   train=_build(TrainConfig, data.get("train"), source, "train"),
                   transformer=_build(_transformer_config_class(), data.get("transformer"), source, "transformer"),
                   gan=_build(_gan_config_class(), data.get("gan"), source, "gan"))

    def override(self, **train_values: Any) -> "RunConfig":
        """A copy with the given train fields replaced (None values are ignored)."""
        values = {k: v for k, v in train_values.items() if v is not None}
        if not values:
            return self
        try:
            return dataclasses.replace(self, train=dataclasses.replace(self.train, **values))
        except ConfigError as exc:
            raise ConfigError(f"command line: {exc}") from exc

    def trajectory_differences(self, other: dict[str, Any]) -> list[str]:
        """Dotted keys whose values differ from `other` (a to_dict() mapping) and change the trajectory.

        A key missing from `other` counts as its default: a checkpoint written before the key
        existed trained with the behaviour the default keeps.
        """
        mine, defaults = self.to_dict(), RunConfig().to_dict()
        diffs = []
        for section in SECTIONS:
            a, b = mine.get(section, {}), (other or {}).get(section, {}) or {}
            for key in sorted(set(a) | set(b)):
                if (section == "train" and key in EXECUTION_KEYS) or (
                        section == "transformer" and key in TRANSFORMER_EXECUTION_KEYS):
                    continue
                if a.get(key, _MISSING) != b.get(key, defaults.get(section, {}).get(key, _MISSING)):
                    diffs.append(f"{section}.{key}")
        return diffs


_MISSING = object()


def _section_dict(section: Any) -> dict[str, Any]:
    """One section's fields as plain values (not `dataclasses.asdict`, which would take an Interval apart)."""
    return {f.name: _plain(getattr(section, f.name)) for f in dataclasses.fields(section)}


def _plain(value: Any) -> Any:
    if isinstance(value, Interval):  # written as the text a config file gives
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _transformer_config_class() -> type:
    from magvit.models.transformer import TransformerConfig

    return TransformerConfig


def _gan_config_class() -> type:
    from magvit.models.gan import GanConfig

    return GanConfig


def _tokenizer_config_class() -> type:
    from magvit.models import TokenizerConfig

    return TokenizerConfig


def _build(cls: type, values: Any, source: str, section: str) -> Any:
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: section {section!r} must be a mapping of keys to values")
    names = {f.name: f for f in dataclasses.fields(cls)}
    for key in values:
        if key not in names:
            raise ConfigError(f"{source}: unknown key {section}.{key} (known: {', '.join(sorted(names))})")
    converted = {}
    for key, value in values.items():
        if isinstance(value, list):
            value = tuple(value) if _default_is_tuple(cls, key) else value
        converted[key] = value
    try:
        return cls(**converted)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: section {section}: {exc}") from exc


def _default_is_tuple(cls: type, key: str) -> bool:
    for f in dataclasses.fields(cls):
        if f.name == key:
            if f.default is not dataclasses.MISSING:
                return isinstance(f.default, tuple)
            if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                return isinstance(f.default_factory(), tuple)  # type: ignore[misc]
    return False


# a run config is a few dozen nodes: these limits leave room and stop a hostile file at once
CONFIG_MAX_BYTES = 256 * 1024
CONFIG_MAX_DEPTH = 16
CONFIG_MAX_NODES = 5000


def load_run_config(path: str | Path) -> RunConfig:
    """Read a YAML run config (`tokenizer:` and `train:` sections) through auditor.safeio's bounded
    YAML reader: regular files only, at most CONFIG_MAX_BYTES, CONFIG_MAX_DEPTH levels deep and
    CONFIG_MAX_NODES nodes once aliases are expanded (an alias bomb is refused before it is built)."""
    from auditor import safeio  # the one bounded reader (magvit may use it; the auditor never imports magvit)

    path = Path(path)
    try:
        data = safeio.read_yaml(path, within=None, cap=CONFIG_MAX_BYTES, shown=str(path),
                                max_depth=CONFIG_MAX_DEPTH, max_nodes=CONFIG_MAX_NODES).data
    except safeio.ReadRefused as exc:
        raise ConfigError(f"{exc} (a run config)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        line = safeio.yaml_error_line(exc)
        where = f"{path}:{line}" if line is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or type(exc).__name__}") from None
    return RunConfig.from_dict(data, source=str(path))


def dump_run_config(config: RunConfig, path: str | Path) -> None:
    """Write the resolved config as YAML (atomically)."""
    from magvit.atomic import atomic_write_text

    text = yaml.safe_dump(config.to_dict(), sort_keys=False)
    atomic_write_text(Path(path), text)
