"""The training loop the service runs."""

import json
import logging
import os
import time
from pathlib import Path

import torch

from . import notify
from .model import SyntheticShards, TinyRegressor

log = logging.getLogger("svctrain")


class Trainer:
    def __init__(self, settings, max_steps, resume=None):
        self.s = settings
        self.max_steps = max_steps
        self.resume = resume            # None, "latest" or a checkpoint path
        torch.manual_seed(settings.seed)
        self.model = TinyRegressor()
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=settings.lr)
        self.data = SyntheticShards(settings.batch_size, settings.seed, settings.fetch_delay_s)
        self.step = 0
        # keeps systemd's watchdog fed from its own thread; started in run()
        self.pinger = notify.WatchdogPinger(settings.heartbeat_file, settings.watchdog_sec / 3)

    # -- checkpoints ---------------------------------------------------------------------
    def checkpoint_path(self, step):
        return self.s.ckpt_dir / f"ckpt-{step:06d}.pt"

    def find_resume_path(self):
        if self.resume is None:
            return None
        if self.resume != "latest":
            return Path(self.resume)
        found = sorted(self.s.ckpt_dir.glob("ckpt-*.pt"))
        if not found:
            log.info("no checkpoint in %s, starting at step 0", self.s.ckpt_dir)
            return None
        return found[-1]

    def save(self, reason):
        self.s.ckpt_dir.mkdir(parents=True, exist_ok=True)
        path = self.checkpoint_path(self.step)
        tmp = path.with_suffix(".tmp")
        torch.save({"step": self.step, "model": self.model.state_dict(),
                    "optim": self.opt.state_dict(), "data": self.data.state_dict()}, tmp)
        os.replace(tmp, path)
        log.info("checkpoint %s saved (%s)", path, reason)

    def restore(self, path):
        blob = torch.load(path, weights_only=False)
        self.model.load_state_dict(blob["model"])
        self.opt.load_state_dict(blob["optim"])
        self.data.load_state_dict(blob["data"])
        self.step = blob["step"]
        log.info("resuming from %s at step %d", path, self.step)

    # -- what operators look at ----------------------------------------------------------
    def write_state(self, phase, loss):
        self.s.state_dir.mkdir(parents=True, exist_ok=True)
        state = {"phase": phase, "step": self.step, "max_steps": self.max_steps,
                 "loss": loss, "pid": os.getpid(),
                 "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        tmp = self.s.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1) + "\n")
        os.replace(tmp, self.s.state_file)

    def _log_step(self, step, loss, secs_per_step):
        log.info("step %d loss %.4f %.2fs/step", step, loss, secs_per_step)

    # -- the loop --------------------------------------------------------------------------
    def run(self):
        path = self.find_resume_path()
        if path is not None:
            self.restore(path)
        notify.sd_notify("READY=1")
        self.write_state("training", None)
        loss = None
        window_start = time.monotonic()
        try:
            while self.step < self.max_steps:
                x, y = self.data.next_batch()
                pred = self.model(x)
                batch_loss = torch.nn.functional.mse_loss(pred, y)
                self.opt.zero_grad(set_to_none=True)
                batch_loss.backward()
                self.opt.step()
                self.step += 1
                loss = batch_loss.item()

                notify.sd_notify("WATCHDOG=1")
                notify.touch_heartbeat(self.s.heartbeat_file)

                if self.step % self.s.log_every == 0:
                    now = time.monotonic()
                    self._log_step(self.step, loss, (now - window_start) / self.s.log_every)
                    window_start = now
                if self.step % self.s.state_every == 0:
                    self.write_state("training", loss)
                if self.step % self.s.ckpt_interval == 0 and self.step < self.max_steps:
                    self.save("interval")
            self.save("final")
            self.write_state("finished", loss)
            log.info("done at step %d", self.step)
        finally:
            self.pinger.stop()
            notify.sd_notify("STOPPING=1")
        return loss
