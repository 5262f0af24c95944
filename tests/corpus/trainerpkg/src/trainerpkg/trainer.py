"""The Trainer: fit/train_epoch/save/load, with the run folder's bookkeeping."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import torch
from torch import nn

from trainerpkg.config import TrainConfig
from trainerpkg.data import iterate_batches, make_dataset, steps_per_epoch
from trainerpkg.model import build_model

CKPT_PATTERN = re.compile(r"ckpt_(\d+)\.pt$")


def _command_line() -> str:
    """How this process was started, as the user typed it."""
    if sys.argv[0].endswith("__main__.py"):
        return " ".join(["python -m trainerpkg", *sys.argv[1:]])
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


class Trainer:

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.run_dir = Path(cfg.run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        torch.manual_seed(cfg.seed)
        self.dataset = make_dataset(cfg.n_samples, cfg.n_features, cfg.n_classes, cfg.seed)
        self.steps_per_epoch = steps_per_epoch(self.dataset, cfg.batch_size)
        self.model = build_model(cfg.n_features, cfg.hidden, cfg.n_classes)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.loss_fn = nn.CrossEntropyLoss()
        self.global_step = 0
        self.epoch = 0
        self.last_loss: float | None = None
        self._logger = logging.getLogger(f"trainerpkg.{id(self)}")
        self._stop = threading.Event()
        # started by fit(), so that a Trainer built only to load() a checkpoint writes nothing
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._last_save = time.monotonic()

    # ------------------------------------------------------------------ output
    def log(self, message: str) -> None:
        """A line in run_dir/train.log, with a timestamp."""
        self._logger.info(message)

    def print(self, message: str) -> None:
        """A line on the console (stdout), for whoever watches the terminal."""
        print(f"[trainerpkg] {message}", flush=True)

    def _open_log(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.run_dir / "train.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self._logger.addHandler(handler)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False

    # ------------------------------------------------------------------ training
    def fit(self) -> None:
        self._open_log()
        self.log(f"start pid={os.getpid()} command: {_command_line()}")
        self._resume()
        self._heartbeat.start()
        try:
            while self.epoch < self.cfg.epochs:
                self.train_epoch()
                self.log(f"epoch {self.epoch} done step={self.global_step} loss={self.last_loss:.4f}")
                self.epoch += 1
            self.save(reason="final")
            self._write_status("finished")
            self.print(f"done: {self.global_step} steps, loss {self.last_loss:.4f}")
        finally:
            self._stop.set()
            self._heartbeat.join()

    def train_epoch(self) -> None:
        self.model.train()
        start = self.global_step - self.epoch * self.steps_per_epoch
        batches = iterate_batches(self.dataset, self.cfg.batch_size, self.epoch, self.cfg.seed,
                                  self.cfg.io_delay_s, start=start)
        for x, y in batches:
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            self.global_step += 1
            self.last_loss = loss.item()
            self.log(f"step={self.global_step} epoch={self.epoch} loss={self.last_loss:.4f}")
            self.print(f"epoch {self.epoch} step {self.global_step} loss {self.last_loss:.4f}")
            self._write_status("running")
            if self._checkpoint_due():
                self.save(reason="timer")

    def _checkpoint_due(self) -> bool:
        return time.monotonic() - self._last_save >= self.cfg.save_every_minutes * 60

    # ------------------------------------------------------------------ checkpoints
    def save(self, reason: str = "manual") -> Path:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        path = self.ckpt_dir / f"ckpt_{self.global_step:07d}.pt"
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "global_step": self.global_step,
            "epoch": self.epoch,
            "last_loss": self.last_loss,
        }
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        self._last_save = time.monotonic()
        self.log(f"saved checkpoint {path} reason={reason}")
        self._prune()
        return path

    def load(self, path: str | Path) -> None:
        state = torch.load(path, map_location="cpu")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.global_step = state["global_step"]
        self.epoch = state["epoch"]
        self.last_loss = state["last_loss"]
        # a checkpoint taken at the last batch of an epoch belongs to the next one
        if self.global_step >= (self.epoch + 1) * self.steps_per_epoch:
            self.epoch += 1

    def checkpoints(self) -> list[Path]:
        """This run's checkpoints, oldest first."""
        found = [p for p in self.ckpt_dir.glob("ckpt_*.pt") if CKPT_PATTERN.search(p.name)]
        return sorted(found, key=lambda p: int(CKPT_PATTERN.search(p.name).group(1)))

    def _resume(self) -> None:
        if self.cfg.resume_from:
            path = Path(self.cfg.resume_from)
        else:
            existing = self.checkpoints()
            if not existing:
                self.log("no checkpoint in run dir, starting from scratch")
                return
            path = existing[-1]
        self.load(path)
        self.log(f"resumed from {path} at step={self.global_step} epoch={self.epoch}")
        self.print(f"resumed from {path} (step {self.global_step})")

    def _prune(self) -> None:
        for old in self.checkpoints()[:-self.cfg.keep_checkpoints]:
            try:
                old.unlink()
            except OSError as err:
                self.log(f"could not remove {old}: {err}")

    # ------------------------------------------------------------------ run folder
    def _write_status(self, state: str) -> None:
        status = {
            "state": state,
            "step": self.global_step,
            "epoch": self.epoch,
            "loss": self.last_loss,
            "pid": os.getpid(),
            "updated": datetime.now().isoformat(timespec="seconds"),
        }
        tmp = self.run_dir / "status.json.tmp"
        tmp.write_text(json.dumps(status, indent=2) + "\n")
        os.replace(tmp, self.run_dir / "status.json")

    def _beat(self) -> None:
        while True:
            with open(self.run_dir / "heartbeat.log", "a") as f:
                f.write(f"{datetime.now().isoformat(timespec='seconds')} pid={os.getpid()} "
                        f"step={self.global_step}\n")
            if self._stop.wait(self.cfg.heartbeat_seconds):
                return
