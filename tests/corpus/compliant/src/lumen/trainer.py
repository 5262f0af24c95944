import logging
import os
import sys
import time
from pathlib import Path

import torch

from .checkpoints import CheckpointStore, load_snapshot
from .data import PacedStream
from .model import build_model
from .monitor import Heartbeat, ProgressFile

log = logging.getLogger("lumen")


def _setup_logging(run_dir):
    log.setLevel(logging.INFO)
    for handler in list(log.handlers):
        log.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(Path(run_dir) / "train.log"), logging.StreamHandler(sys.stdout)):
        handler.setFormatter(fmt)
        log.addHandler(handler)


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.run_dir = Path(cfg.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _setup_logging(self.run_dir)
        torch.manual_seed(cfg.seed)
        self.model = build_model()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=cfg.max_steps)
        self.stream = PacedStream(cfg.batch_size, cfg.batch_delay_s, cfg.seed)
        self.store = CheckpointStore(self.run_dir / "checkpoints", keep_last=cfg.keep_last)
        self.progress = ProgressFile(self.run_dir, cfg.max_steps)
        self.step = 0
        self.last_checkpoint = None

    # -- snapshots -------------------------------------------------------------
    def _snapshot(self):
        return {"step": self.step, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "stream_rng": self.stream.gen.get_state(), "torch_rng": torch.get_rng_state()}

    def _restore(self, payload):
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        self.stream.gen.set_state(payload["stream_rng"])
        torch.set_rng_state(payload["torch_rng"])
        self.step = payload["step"]

    def _save(self, reason):
        path = self.store.save(self.step, self._snapshot())
        self.last_checkpoint = path.name
        self.progress.update(last_checkpoint=path.name)
        log.info("checkpoint %s written (%s)", path, reason)

    def _resume(self, resume_from, fresh):
        if resume_from is not None:
            self._restore(load_snapshot(resume_from))
            log.info("resumed from %s at step %d (--resume-from)", resume_from, self.step)
        elif not fresh:
            path, payload = self.store.newest_valid()
            if path is None:
                log.info("no snapshot in %s, starting at step 0", self.store.directory)
                return
            self._restore(payload)
            log.info("resumed from %s at step %d (newest snapshot)", path, self.step)
        else:
            log.info("--fresh given, starting at step 0")

    # -- training --------------------------------------------------------------
    def fit(self, resume_from=None, fresh=False):
        cfg = self.cfg
        log.info("start pid=%d command: python -m lumen %s", os.getpid(), " ".join(sys.argv[1:]))
        self._resume(resume_from, fresh)
        self.progress.update(status="running", step=self.step)
        heartbeat = Heartbeat(self.progress, cfg.heartbeat_period_s)
        heartbeat.start()
        try:
            self._loop()
            self._save("final")
            self.progress.update(status="finished", step=self.step)
        finally:
            heartbeat.stop()
            self.progress.beat()
        log.info("finished at step %d", self.step)
        return self.step

    def _loop(self):
        cfg = self.cfg
        loss_fn = torch.nn.CrossEntropyLoss()
        last_save = time.monotonic()
        window_start, window_steps = time.monotonic(), 0
        while self.step < cfg.max_steps:
            x, y = self.stream.next_batch()
            logits = self.model(x)
            loss = loss_fn(logits, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            self.step += 1
            window_steps += 1
            self.progress.update(step=self.step, loss=round(loss.item(), 5))

            if self.step % cfg.log_every_steps == 0:
                rate = window_steps / max(time.monotonic() - window_start, 1e-9)
                acc = (logits.argmax(1) == y).float().mean().item()
                log.info("step %d/%d loss %.4f acc %.3f lr %.2e %.2f it/s", self.step, cfg.max_steps,
                         loss.item(), acc, self.scheduler.get_last_lr()[0], rate)
                window_start, window_steps = time.monotonic(), 0
            if time.monotonic() - last_save >= cfg.checkpoint_period_s and self.step < cfg.max_steps:
                self._save("periodic")
                last_save = time.monotonic()
