"""Adversarial training pieces of the MAGVIT tokenizer: the `gan:` config section, the
non-saturating losses, the R1 gradient penalty, LeCam regularisation and the generator EMA.

Every piece of state (LeCam's logit EMAs, the EMA generator) is a tensor that the tokenizer
stage puts in its checkpoint, so that a resumed run continues exactly.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from magvit.errors import ConfigError


def _fail(name: str, value: Any, reason: str) -> None:
    raise ConfigError(f"gan.{name} = {value!r}: {reason}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class GanConfig:
    """Adversarial training of the tokenizer (MAGVIT); off unless `enabled`."""

    enabled: bool = False
    """Train a 3D discriminator against the tokenizer's reconstructions."""
    generator_weight: float = 0.1
    """Weight of the non-saturating generator loss in the tokenizer's loss (with adaptive_weight: a factor on the adaptive weight)."""
    adaptive_weight: bool = False
    """VQGAN's adaptive weight: scale the generator loss by ||grad recon|| / (||grad GAN|| + 1e-4) at the decoder's last layer."""
    start_step: int = 0
    """Optimizer steps of pure reconstruction training before the discriminator and the adversarial loss start."""
    disc_base_channels: int = 16
    """Channels of the discriminator's first level."""
    disc_channel_multipliers: tuple[int, ...] = (1, 2, 4)
    """Per level: channels = disc_base_channels * multiplier; each level halves space (and time while > 1 frame)."""
    minibatch_stddev: bool = False
    """Append StyleGAN's minibatch standard-deviation feature before the discriminator's last conv."""
    disc_lr: float | None = None
    """Peak learning rate of the discriminator; null: train.lr. Same warmup and decay as the tokenizer."""
    adam_betas: tuple[float, float] = (0.0, 0.99)
    """Adam betas of both optimizers while the GAN is on (MAGVIT's beta1 = 0, beta2 = 0.99)."""
    r1_weight: float = 10.0
    """Weight of the R1 penalty: the squared gradient norm of the discriminator on real clips."""
    r1_every: int = 1
    """Lazy R1 (StyleGAN2): the penalty every this many discriminator steps, weighted by it (its double backward is costly)."""
    lecam_weight: float = 0.001
    """Weight of the LeCam regulariser on the discriminator's logits; 0 disables it."""
    lecam_decay: float = 0.999
    """Decay of LeCam's moving averages of the real and fake logits."""
    generator_ema: bool = True
    """Keep an exponential moving average of the tokenizer's weights; validation and eval use it."""
    generator_ema_decay: float = 0.999
    """Decay of the generator EMA, reached after a warmup: at step n the decay is min(this, (1 + n) / (10 + n))."""

    def __post_init__(self) -> None:
        for name in ("enabled", "adaptive_weight", "minibatch_stddev", "generator_ema"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, getattr(self, name), "must be true or false")
        for name in ("generator_weight", "r1_weight", "lecam_weight"):
            if not _is_number(getattr(self, name)) or getattr(self, name) < 0:
                _fail(name, getattr(self, name), "must be a finite number >= 0")
        if not _is_int(self.r1_every) or self.r1_every < 1:
            _fail("r1_every", self.r1_every, "must be an integer >= 1")
        if not _is_int(self.start_step) or self.start_step < 0:
            _fail("start_step", self.start_step, "must be an integer >= 0")
        if not _is_int(self.disc_base_channels) or self.disc_base_channels < 1:
            _fail("disc_base_channels", self.disc_base_channels, "must be an integer >= 1")
        mults = self.disc_channel_multipliers
        if not isinstance(mults, tuple) or not mults or not all(_is_int(m) and m >= 1 for m in mults):
            _fail("disc_channel_multipliers", mults, "must be a non-empty list of integers >= 1")
        if self.disc_lr is not None and (not _is_number(self.disc_lr) or self.disc_lr <= 0):
            _fail("disc_lr", self.disc_lr, "must be a number > 0, or null for train.lr")
        betas = self.adam_betas
        if not isinstance(betas, tuple) or len(betas) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in betas):
            _fail("adam_betas", betas, "must be two numbers in [0, 1)")
        for name in ("lecam_decay", "generator_ema_decay"):
            if not _is_number(getattr(self, name)) or not 0 < getattr(self, name) < 1:
                _fail(name, getattr(self, name), "must be a number strictly between 0 and 1")


# ----------------------------------------------------------------------------- losses


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating (logistic) loss of the discriminator: softplus(-D(real)) + softplus(D(fake))."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: softplus(-D(fake))."""
    return F.softplus(-fake_logits).mean()


ADAPTIVE_WEIGHT_EPS = 1e-4
"""Added to the GAN gradient's norm, as in VQGAN (taming-transformers): no division by zero."""
ADAPTIVE_WEIGHT_MAX = 1e4
"""Upper clamp of the ratio, as in VQGAN: a vanishing GAN gradient must not blow the weight up."""


def adaptive_generator_weight(recon_loss: torch.Tensor, gan_loss: torch.Tensor, last_layer: torch.Tensor,
                              base_weight: float) -> torch.Tensor:
    """VQGAN's adaptive weight of the generator loss, detached.

    base_weight * clamp(||d recon / d last_layer|| / (||d gan / d last_layer|| + 1e-4), 0, 1e4):
    the adversarial gradient at the decoder's output layer is scaled to the size of the
    reconstruction gradient there, whatever the two losses' scales are (ours is an MSE of ~0.01,
    which a fixed weight of 0.1 swamps). Both graphs are kept for the caller's backward.
    """
    (recon_grad,) = torch.autograd.grad(recon_loss, last_layer, retain_graph=True)
    (gan_grad,) = torch.autograd.grad(gan_loss, last_layer, retain_graph=True)
    ratio = recon_grad.norm() / (gan_grad.norm() + ADAPTIVE_WEIGHT_EPS)
    return (ratio.clamp(0.0, ADAPTIVE_WEIGHT_MAX) * base_weight).detach()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean over clips of the squared norm of d D(real) / d real (R1); `real` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


class LeCam:
    """LeCam regularisation (Tseng et al. 2021): keeps real and fake logits near each other's moving averages."""

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.real_ema = torch.zeros((), dtype=torch.float64)
        self.fake_ema = torch.zeros((), dtype=torch.float64)

    def penalty(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """mean(relu(D(real) - ema_fake)^2) + mean(relu(ema_real - D(fake))^2)."""
        real_ema, fake_ema = self.real_ema.to(real_logits.dtype), self.fake_ema.to(fake_logits.dtype)
        return F.relu(real_logits - fake_ema).pow(2).mean() + F.relu(real_ema - fake_logits).pow(2).mean()

    def update(self, real_mean: float, fake_mean: float) -> None:
        """Fold in this step's mean logits (the same on every rank: means over the global batch)."""
        self.real_ema = self.real_ema * self.decay + (1 - self.decay) * real_mean
        self.fake_ema = self.fake_ema * self.decay + (1 - self.decay) * fake_mean

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"real_ema": self.real_ema.clone(), "fake_ema": self.fake_ema.clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.real_ema = state["real_ema"].clone().to(torch.float64)
        self.fake_ema = state["fake_ema"].clone().to(torch.float64)


class GeneratorEMA:
    """An exponential moving average of a model's parameters; buffers are copied as they are.

    The decay warms up as TensorFlow's ExponentialMovingAverage with num_updates does, so that a
    short run's average is not dominated by the initial weights.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model)
        self.model.requires_grad_(False)
        self.model.eval()

    def decay_at(self, step: int) -> float:
        """The decay used after optimizer step `step` (0-based)."""
        return min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        decay = self.decay_at(step)
        for ema, live in zip(self.model.parameters(), model.parameters()):
            ema.mul_(decay).add_(live.detach(), alpha=1 - decay)
        for ema, live in zip(self.model.buffers(), model.buffers()):
            ema.copy_(live)
