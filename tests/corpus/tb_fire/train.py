#!/usr/bin/env python
"""tinyreg command line (python-fire): every public method of Trainer is a sub-command.

    python train.py train --run_dir runs/tiny
    python train.py evaluate --run_dir runs/tiny
    python train.py export --run_dir runs/tiny --out tinyreg.safetensors
"""

import logging
import shlex
import sys
import time
from pathlib import Path

import fire
import torch
from safetensors.torch import save_file
from torch.utils.tensorboard import SummaryWriter

from tinyreg import ckpt
from tinyreg.data import IN_DIM, batches, validation_set
from tinyreg.model import TinyReg
from tinyreg.monitor import Heartbeat

log = logging.getLogger("tinyreg")


class Trainer:
    """Train / evaluate / export the tinyreg model. Flags of __init__ go with any command."""

    def __init__(self, run_dir="runs/tiny", lr=3e-3, batch_size=64, hidden=32, seed=0):
        self.run_dir = Path(run_dir)
        self.ckpt_root = self.run_dir / "ckpt"
        self.lr = lr
        self.batch_size = batch_size
        self.hidden = hidden
        self.seed = seed

    def _setup(self):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log.setLevel(logging.INFO)
        log.propagate = False
        for old in list(log.handlers):  # a second Trainer in the same process (tests)
            log.removeHandler(old)
            old.close()
        fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
        for handler in (logging.StreamHandler(), logging.FileHandler(self.run_dir / "train.log")):
            handler.setFormatter(fmt)
            log.addHandler(handler)
        torch.manual_seed(self.seed)
        model = TinyReg(IN_DIM, self.hidden)
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=0.01)
        return model, optimizer

    @staticmethod
    def _val_loss(model, val):
        model.eval()
        with torch.no_grad():
            losses = [torch.nn.functional.mse_loss(model(x), y).item() for x, y in val]
        model.train()
        return sum(losses) / len(losses)

    def train(self, max_steps=600, save_interval=120, log_every=50, eval_every=200,
              io_delay=0.0, resume=False):
        """Run the optimisation loop.

        save_interval: how many optimizer steps between two checkpoint folders.
        resume: continue from the folder named in <run_dir>/ckpt/latest.
        """
        model, optimizer = self._setup()
        log.info("command: %s", shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]))
        log.info("train(max_steps=%d, save_interval=%d, log_every=%d, eval_every=%d, "
                 "io_delay=%s, resume=%s) run_dir=%s", max_steps, save_interval, log_every,
                 eval_every, io_delay, resume, self.run_dir)

        start = 0
        if resume:
            folder = ckpt.read_latest(self.ckpt_root)
            if folder is None:
                log.warning("--resume given but %s has no 'latest'; starting at step 0", self.ckpt_root)
            else:
                state = ckpt.load_checkpoint(folder, model, optimizer)
                start = state["global_step"]
                log.info("resumed from %s at step %d", folder, start)

        writer = SummaryWriter(log_dir=str(self.run_dir / "tb"), flush_secs=20,
                               purge_step=start or None)
        heartbeat = Heartbeat(self.run_dir / "heartbeat.log", period=30)
        val = validation_set(self.seed)
        tick, last_saved = time.perf_counter(), start

        for index, x, y in batches(self.seed, start, self.batch_size, io_delay):
            step = index + 1
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            writer.add_scalar("train/loss", loss.item(), step)

            if step % log_every == 0:
                rate = log_every / (time.perf_counter() - tick)
                tick = time.perf_counter()
                log.info("step %d loss %.4f %.2f steps/s", step, loss.item(), rate)
                heartbeat.beat(step)
            if step % eval_every == 0:
                val_loss = self._val_loss(model, val)
                writer.add_scalar("eval/loss", val_loss, step)
                log.info("eval step %d val_loss %.4f", step, val_loss)
            if step % save_interval == 0:
                folder = ckpt.save_checkpoint(self.ckpt_root, step, model, optimizer,
                                              {"loss": loss.item(), "max_steps": max_steps})
                last_saved = step
                log.info("saved %s", folder)
            if step >= max_steps:
                break

        if last_saved != max_steps:
            folder = ckpt.save_checkpoint(self.ckpt_root, max_steps, model, optimizer,
                                          {"loss": loss.item(), "max_steps": max_steps})
            log.info("saved %s (end of training)", folder)
        writer.close()
        log.info("done at step %d", max_steps)
        return str(self.ckpt_root / ckpt.step_dirname(max_steps))

    def evaluate(self, step=None):
        """Validation loss of a checkpoint (default: the one 'latest' names)."""
        model, _ = self._setup()
        folder = (self.ckpt_root / ckpt.step_dirname(step)) if step else ckpt.read_latest(self.ckpt_root)
        if folder is None:
            raise SystemExit(f"no checkpoint under {self.ckpt_root}")
        state = ckpt.load_checkpoint(folder, model)
        val_loss = self._val_loss(model, validation_set(self.seed))
        log.info("evaluate %s (step %d) val_loss %.4f", folder.name, state["global_step"], val_loss)
        return val_loss

    def export(self, out="tinyreg.safetensors"):
        """Copy the weights of the latest checkpoint to a single file for serving."""
        model, _ = self._setup()
        folder = ckpt.read_latest(self.ckpt_root)
        if folder is None:
            raise SystemExit(f"no checkpoint under {self.ckpt_root}")
        ckpt.load_checkpoint(folder, model)
        save_file(model.state_dict(), out)
        return out


if __name__ == "__main__":
    fire.Fire(Trainer)
