from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from chronos import data
from chronos.config import Config
from chronos.model import ClockGRU
from chronos.reporting import Reporter, TrainingState, utcnow

log = logging.getLogger("chronos.trainer")

_CKPT_NAME = re.compile(r"step_(\d+)\.pt$")


def list_checkpoints(ckpt_dir: Path) -> list[Path]:
    """step_*.pt files in ckpt_dir, oldest step first."""
    if not ckpt_dir.is_dir():
        return []
    found = [p for p in ckpt_dir.glob("step_*.pt") if _CKPT_NAME.search(p.name)]
    return sorted(found, key=lambda p: int(_CKPT_NAME.search(p.name).group(1)))


class Trainer:
    def __init__(self, cfg: Config, run_dir: str | Path, *, fresh: bool = False,
                 resume_from: str | Path | None = None):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.fresh = fresh
        self.resume_from = Path(resume_from) if resume_from else None

        torch.manual_seed(cfg.seed)
        self.model = ClockGRU(data.VOCAB_SIZE, cfg.embed_dim, cfg.hidden_dim)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.step = 0

        self.state = TrainingState()
        self.state.update(total_steps=cfg.steps)
        self.reporter = Reporter(self.run_dir, self.state, every=cfg.status_every)

    # -- checkpoints -------------------------------------------------------
    def save_checkpoint(self, reason: str) -> Path:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        path = self.ckpt_dir / f"step_{self.step:06d}.pt"
        tmp = path.with_suffix(".pt.tmp")
        torch.save({
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "saved_at": utcnow(),
        }, tmp)
        os.replace(tmp, path)
        for old in list_checkpoints(self.ckpt_dir)[:-self.cfg.keep_checkpoints]:
            old.unlink()
        log.info("saved checkpoint", extra={"fields": {
            "step": self.step, "path": str(path.relative_to(self.run_dir)), "reason": reason}})
        return path

    def load_checkpoint(self, path: Path) -> None:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        self.model.load_state_dict(blob["model"])
        self.optimizer.load_state_dict(blob["optimizer"])
        self.step = int(blob["step"])

    def _restore(self) -> None:
        if self.fresh:
            if self.ckpt_dir.exists():
                shutil.rmtree(self.ckpt_dir)
            log.info("starting fresh, old checkpoints removed")
            return
        if self.resume_from is not None:
            source = self.resume_from
        else:
            existing = list_checkpoints(self.ckpt_dir)
            if not existing:
                log.info("no checkpoint found, starting at step 0")
                return
            source = existing[-1]
        self.load_checkpoint(source)
        log.info(f"resumed from {source.name} at step {self.step}",
                 extra={"fields": {"step": self.step, "checkpoint": str(source)}})

    # -- training ----------------------------------------------------------
    def train_step(self) -> float:
        inputs, targets = data.batch_for_step(self.cfg.seed, self.step,
                                              self.cfg.batch_size, self.cfg.seq_len)
        logits = self.model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, data.VOCAB_SIZE), targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return loss.item()

    def fit(self) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._restore()
        self.state.update(state="running", step=self.step)
        self.reporter.start()

        interval = self.cfg.checkpoint_every.total_seconds()
        delay = self.cfg.step_delay.total_seconds()
        last_save = time.monotonic()
        try:
            while self.step < self.cfg.steps:
                loss = self.train_step()
                self.step += 1
                self.state.update(step=self.step, loss=round(loss, 5))
                if self.step % self.cfg.log_every == 0:
                    log.info("train", extra={"fields": {"step": self.step, "loss": round(loss, 5)}})
                if time.monotonic() - last_save >= interval:
                    self.save_checkpoint(reason="interval")
                    last_save = time.monotonic()
                if delay:
                    time.sleep(delay)
            self.save_checkpoint(reason="final")
            self.state.update(state="finished")
            log.info("training finished", extra={"fields": {"step": self.step}})
        except BaseException:
            self.state.update(state="failed")
            log.exception("training stopped with an error")
            raise
        finally:
            self.reporter.close()
        return self.step
