"""The tokenizer stage: the MAGVIT video tokenizer trained to reconstruct clips, optionally
against a 3D discriminator (the `gan:` section).

Checkpoint keys (merged into the session's payload): `model`, `optimizer`, `scheduler`; with
the GAN on also `discriminator`, `disc_optimizer`, `disc_scheduler`, `lecam` and
`generator_ema` (absent when gan.generator_ema is off).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from magvit import distributed
from magvit.config import RunConfig
from magvit.distributed import Dist
from magvit.metrics import psnr
from magvit.models import VQTokenizer
from magvit.models.discriminator import Discriminator3D
from magvit.models.gan import (
    GeneratorEMA, LeCam, adaptive_generator_weight, discriminator_loss, generator_loss, r1_penalty,
)
from magvit.stages import lr_scheduler, steps_per_epoch
from magvit.stages.base import Stage

DISC_LOSSES = ("d_loss", "d_real", "d_fake", "r1", "lecam")
"""What a discriminator step reports (0 before gan.start_step, so that every step has the same names)."""


class TokenizerStage(Stage):
    """VQ/LFQ tokenizer, AdamW, warmup + cosine schedule; the best checkpoint has the lowest val_recon.

    The best model is chosen by the reconstruction loss (MSE): the total loss carries the
    entropy regulariser, which says little about how good the reconstructions are.
    """

    name = "tokenizer"
    best_metric = "val_recon"

    def __init__(self, config: RunConfig, n_train: int, dist: Dist) -> None:
        tc, gan = config.train, config.gan
        self.config, self.dist, self.gan = config, dist, gan
        self.grad_clip = tc.grad_clip
        total = steps_per_epoch(tc, n_train, dist) * tc.epochs
        # built in this order from the seeded RNG: without the GAN, the same init as before it existed
        self.model = VQTokenizer(config.tokenizer)
        betas = gan.adam_betas if gan.enabled else (0.9, 0.999)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=tc.lr, betas=betas,
                                           weight_decay=tc.weight_decay)
        self.scheduler = lr_scheduler(self.optimizer, tc, total)
        self.discriminator: Discriminator3D | None = None
        self.generator_ema: nn.Module | None = None
        self._ema: GeneratorEMA | None = None
        if gan.enabled:
            self.discriminator = Discriminator3D(gan, config.tokenizer.in_channels)
            disc_lr = tc.lr if gan.disc_lr is None else gan.disc_lr
            self.disc_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=disc_lr, betas=gan.adam_betas)
            self.disc_scheduler = lr_scheduler(self.disc_optimizer, tc, total)
            self.lecam = LeCam(gan.lecam_decay)
            if gan.generator_ema:
                self._ema = GeneratorEMA(self.model, gan.generator_ema_decay)
                self.generator_ema = self._ema.model

    @property
    def steps_done(self) -> int:
        """Optimizer steps taken (the schedule counts them, and is checkpointed)."""
        return int(self.scheduler.last_epoch)

    def clip_problem(self, x: torch.Tensor) -> str | None:
        channels, wanted = int(x.shape[1]), self.config.tokenizer.in_channels
        if channels != wanted:
            return (f"the clips have {channels} channel{'s' if channels != 1 else ''}, but tokenizer.in_channels "
                    f"is {wanted}: convert the data, or set tokenizer.in_channels: {channels} in the config")
        return None

    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    # --- training ------------------------------------------------------------------

    def train_step(self, x: torch.Tensor, n_global: int, dist: Dist) -> dict[str, float]:
        adversarial = self.discriminator is not None and self.steps_done >= self.gan.start_step
        model = self.model
        model.train()
        self.optimizer.zero_grad(set_to_none=True)
        losses: dict[str, float] = {}
        recon = None
        if len(x):  # a rank can get no clips when the last global batch is smaller than the group
            out = model(x)
            loss = out.loss
            losses.update({name: float(v.detach()) for name, v in out.losses.items()})
            if self.discriminator is not None:
                losses["g_adv"] = losses["g_weight"] = 0.0
            if adversarial:
                self.discriminator.requires_grad_(False)  # the generator step leaves D's gradients alone
                g_adv = generator_loss(self.discriminator(out.recon * 2 - 1))
                self.discriminator.requires_grad_(True)
                weight = self._generator_weight(out.losses["recon"], g_adv)
                loss = loss + weight * g_adv
                losses["g_adv"], losses["g_weight"] = float(g_adv.detach()), float(weight)
            losses["train"] = float(loss.detach())
            loss.backward()
            recon = out.recon.detach()
        distributed.average_gradients(model, len(x), n_global, dist)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        distributed.broadcast_buffers(model, dist)
        if self._ema is not None:
            self._ema.update(model, step=self.steps_done - 1)
        if self.discriminator is not None:
            losses.update(self._discriminator_step(x, recon, n_global, dist, adversarial))
        return losses

    def _generator_weight(self, recon_loss: torch.Tensor, g_adv: torch.Tensor) -> torch.Tensor | float:
        """gan.generator_weight, or with gan.adaptive_weight VQGAN's gradient-norm ratio times it.

        The ratio is this rank's own (as in VQGAN); the gradients it weights are averaged over ranks after.
        """
        if not self.gan.adaptive_weight:
            return self.gan.generator_weight
        last_layer = self.model.decoder.conv_out.weight
        return adaptive_generator_weight(recon_loss, g_adv, last_layer, self.gan.generator_weight)

    def _discriminator_step(self, x: torch.Tensor, recon: torch.Tensor | None, n_global: int, dist: Dist,
                            adversarial: bool) -> dict[str, float]:
        """One discriminator step on real clips against this step's reconstructions (none before start_step)."""
        disc, gan = self.discriminator, self.gan
        self.disc_optimizer.zero_grad(set_to_none=True)
        losses = dict.fromkeys(DISC_LOSSES, 0.0)
        means = {"real": 0.0, "fake": 0.0}
        if adversarial and len(x):
            real = (x * 2 - 1).requires_grad_(True)
            real_logits = disc(real)
            fake_logits = disc(recon * 2 - 1)
            adv = discriminator_loss(real_logits, fake_logits)
            disc_steps = self.disc_scheduler.last_epoch - gan.start_step  # adversarial steps before this one
            lazy_r1 = gan.r1_weight > 0 and disc_steps % gan.r1_every == 0
            r1 = r1_penalty(real_logits, real) if lazy_r1 else real_logits.new_zeros(())
            lecam = self.lecam.penalty(real_logits, fake_logits)
            loss = adv + gan.r1_weight * gan.r1_every * r1 + gan.lecam_weight * lecam
            loss.backward()
            means = {"real": float(real_logits.detach().mean()), "fake": float(fake_logits.detach().mean())}
            losses.update(d_loss=float(loss.detach()), d_real=means["real"], d_fake=means["fake"],
                          r1=float(r1.detach()), lecam=float(lecam.detach()))
        if adversarial:
            distributed.average_gradients(disc, len(x), n_global, dist)
            if self.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(disc.parameters(), self.grad_clip)
            # the LeCam averages follow the global batch's mean logits, identical on every rank
            means = distributed.weighted_mean(means, len(x), n_global, dist)
            self.lecam.update(means["real"], means["fake"])
        self.disc_optimizer.step()  # no gradients before start_step: a no-op that keeps the schedule's order
        self.disc_scheduler.step()
        return losses

    # --- validation ------------------------------------------------------------------

    @torch.no_grad()
    def validate(self, val_x: torch.Tensor, batch_size: int) -> dict[str, float]:
        """Held-out metrics of the generator EMA when there is one, else of the model."""
        model = self.generator_ema if self.generator_ema is not None else self.model
        was_training = model.training
        model.eval()
        sums = {"val_loss": 0.0, "val_recon": 0.0, "val_psnr": 0.0, "codebook_usage": 0.0}
        for start in range(0, len(val_x), batch_size):
            x = val_x[start:start + batch_size]
            out = model(x)
            n = len(x)
            sums["val_loss"] += float(out.loss) * n
            sums["val_recon"] += float(out.losses["recon"]) * n
            sums["val_psnr"] += float(psnr(out.recon.clamp(0, 1), x)) * n
            sums["codebook_usage"] += float(out.metrics["codebook_usage"]) * n
        model.train(was_training)
        return {name: total / len(val_x) for name, total in sums.items()}

    def describe(self, metrics: dict[str, float]) -> str:
        return (f"val loss {metrics['val_loss']:.4f} val recon {metrics['val_recon']:.5f} "
                f"val PSNR {metrics['val_psnr']:.2f} dB codebook usage {metrics['codebook_usage']:.1%}")

    # --- state ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict()}
        if self.discriminator is not None:
            state.update(discriminator=self.discriminator.state_dict(),
                         disc_optimizer=self.disc_optimizer.state_dict(),
                         disc_scheduler=self.disc_scheduler.state_dict(), lecam=self.lecam.state_dict())
        if self.generator_ema is not None:
            state["generator_ema"] = self.generator_ema.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.discriminator is not None:
            self.discriminator.load_state_dict(state["discriminator"])
            self.disc_optimizer.load_state_dict(state["disc_optimizer"])
            self.disc_scheduler.load_state_dict(state["disc_scheduler"])
            self.lecam.load_state_dict(state["lecam"])
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(state["generator_ema"])
