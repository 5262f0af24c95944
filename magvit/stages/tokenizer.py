"""The tokenizer stage: the MAGVIT video tokenizer trained to reconstruct clips.

Checkpoint keys (merged into the session's payload): `model`, `optimizer`, `scheduler`.
"""

from __future__ import annotations

from typing import Any

import torch

from magvit import distributed
from magvit.config import RunConfig
from magvit.distributed import Dist
from magvit.metrics import psnr
from magvit.models import VQTokenizer
from magvit.stages import lr_scheduler, steps_per_epoch
from magvit.stages.base import Stage


class TokenizerStage(Stage):
    """VQ tokenizer, AdamW, warmup + cosine schedule; the best checkpoint has the lowest val_recon.

    The best model is chosen by the reconstruction loss (MSE): the total loss carries the
    entropy regulariser, which says little about how good the reconstructions are.
    """

    name = "tokenizer"
    best_metric = "val_recon"

    def __init__(self, config: RunConfig, n_train: int, dist: Dist) -> None:
        tc = config.train
        self.config, self.dist = config, dist
        self.grad_clip = tc.grad_clip
        self.model = VQTokenizer(config.tokenizer)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        self.scheduler = lr_scheduler(self.optimizer, tc, steps_per_epoch(tc, n_train, dist) * tc.epochs)

    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def train_step(self, x: torch.Tensor, n_global: int, dist: Dist) -> dict[str, float]:
        model = self.model
        model.train()
        self.optimizer.zero_grad(set_to_none=True)
        losses: dict[str, float] = {}
        if len(x):  # a rank can get no clips when the last global batch is smaller than the group
            out = model(x)
            out.loss.backward()
            losses = {"train": float(out.loss.detach())}
            losses.update({name: float(v.detach()) for name, v in out.losses.items()})
        distributed.average_gradients(model, len(x), n_global, dist)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        distributed.broadcast_buffers(model, dist)
        return losses

    @torch.no_grad()
    def validate(self, val_x: torch.Tensor, batch_size: int) -> dict[str, float]:
        model = self.model
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
        model.train()
        return {name: total / len(val_x) for name, total in sums.items()}

    def describe(self, metrics: dict[str, float]) -> str:
        return (f"val loss {metrics['val_loss']:.4f} val recon {metrics['val_recon']:.5f} "
                f"val PSNR {metrics['val_psnr']:.2f} dB codebook usage {metrics['codebook_usage']:.1%}")

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
