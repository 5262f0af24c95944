"""VideoTrainer: the training loop vidlib users call from their own scripts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

from vidlib.checkpoint import load_checkpoint, save_checkpoint
from vidlib.data import collate_clips
from vidlib.schedule import warmup_cosine

logger = logging.getLogger("vidlib")


class VideoTrainer:
    """Trains a model that has a `loss(batch)` method on a dataset of clips.

    Checkpoints go to `ckpt_dir/step_<N>.pt` every `save_every` optimizer steps.
    """

    def __init__(self, model: torch.nn.Module, dataset: Dataset, *, lr: float = 3e-4,
                 batch_size: int = 8, max_steps: int = 10_000, warmup_steps: int = 500,
                 save_every: int = 1000, log_every: int = 50, grad_clip: float = 1.0,
                 ckpt_dir: str | os.PathLike = "checkpoints", num_workers: int = 0):
        if save_every <= 0 or log_every <= 0:
            raise ValueError("save_every and log_every must be positive")
        self.model = model
        self.dataset = dataset
        self.lr = lr
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.warmup_steps = warmup_steps
        self.save_every = save_every
        self.log_every = log_every
        self.grad_clip = grad_clip
        self.ckpt_dir = Path(ckpt_dir)
        self.num_workers = num_workers
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        self.step = 0

    def _set_lr(self) -> float:
        lr = warmup_cosine(self.step, base_lr=self.lr, warmup_steps=self.warmup_steps,
                           total_steps=self.max_steps, min_lr=self.lr * 0.1)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def train(self, resume_from: str | os.PathLike | None = None) -> dict[str, float]:
        """Train until `max_steps`; with `resume_from`, continue from that checkpoint."""
        if resume_from is not None:
            self.step = load_checkpoint(resume_from, model=self.model, optimizer=self.optimizer)
            logger.info("resumed from %s at step %d", resume_from, self.step)
        loader = DataLoader(self.dataset, batch_size=self.batch_size, shuffle=True,
                            collate_fn=collate_clips, num_workers=self.num_workers, drop_last=True)
        self.model.train()
        loss = torch.tensor(float("nan"))
        while self.step < self.max_steps:
            for batch in loader:
                lr = self._set_lr()
                loss = self.model.loss(batch)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
                self.optimizer.step()
                self.step += 1
                if self.step % self.log_every == 0:
                    logger.info("step %d loss %.5f lr %.2e", self.step, loss.item(), lr)
                if self.step % self.save_every == 0:
                    path = self.ckpt_dir / f"step_{self.step:08d}.pt"
                    save_checkpoint(path, model=self.model, optimizer=self.optimizer, step=self.step)
                    logger.info("saved %s", path)
                if self.step >= self.max_steps:
                    break
        return {"step": self.step, "loss": float(loss.item())}
