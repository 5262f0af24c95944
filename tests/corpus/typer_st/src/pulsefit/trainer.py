"""The training loop."""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pulsefit.checkpoint import load_checkpoint, prune, save_checkpoint
from pulsefit.config import Config
from pulsefit.data import PulseData
from pulsefit.heartbeat import Heartbeat
from pulsefit.model import PulseNet
from pulsefit.status import write_status


class Trainer:
    def __init__(self, cfg: Config, console: Console):
        self.cfg = cfg
        self.console = console
        torch.manual_seed(cfg.seed)
        self.model = PulseNet(cfg.model.channels, cfg.model.n_classes)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.optim.lr,
                                           weight_decay=cfg.optim.weight_decay)
        d = cfg.data
        self.data = PulseData(d.n_samples, d.seq_len, d.batch_size, d.read_latency_ms,
                              n_classes=cfg.model.n_classes, seed=cfg.seed)
        self.run_dir = Path(cfg.run_dir)
        self.ckpt_root = self.run_dir / "checkpoints"
        self.status_path = self.run_dir / "status.json"
        self.step = 0
        self.heartbeat = Heartbeat(self.run_dir / "heartbeat", every=20.0)

    def restore(self, folder: Path) -> None:
        meta = load_checkpoint(folder, self.model, self.optimizer)
        self.step = meta["step"]

    def save(self, loss: float) -> Path:
        folder = save_checkpoint(self.ckpt_root, self.step, self.model, self.optimizer,
                                 loss=round(loss, 5), config=self.cfg.name)
        prune(self.ckpt_root, self.cfg.checkpoint.keep)
        self.console.log(f"checkpoint -> {folder}")
        return folder

    def fit(self) -> float:
        cfg, log = self.cfg, self.console.log
        self.run_dir.mkdir(parents=True, exist_ok=True)
        per_epoch = len(self.data)
        max_steps = cfg.train.max_steps
        loss_value = float("nan")
        last_saved = None
        self.model.train()
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn())
        with Progress(*columns, console=self.console) as progress:
            task = progress.add_task(cfg.name, total=max_steps, completed=self.step, loss=loss_value)
            tick = time.perf_counter()
            while self.step < max_steps:
                epoch, start = divmod(self.step, per_epoch)
                for x, y in self.data.batches(epoch, start):
                    loss = F.cross_entropy(self.model(x), y)
                    self.optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    self.optimizer.step()
                    self.step += 1
                    loss_value = loss.item()
                    progress.update(task, advance=1, loss=loss_value)

                    if self.step % cfg.train.log_every == 0:
                        rate = cfg.train.log_every / (time.perf_counter() - tick)
                        tick = time.perf_counter()
                        log(f"step {self.step} epoch {epoch} loss {loss_value:.4f} ({rate:.1f} it/s)")
                    if self.step % cfg.checkpoint.interval == 0:
                        self.save(loss_value)
                        last_saved = self.step
                    if self.step >= max_steps:
                        break

                if self.step % per_epoch == 0:
                    write_status(self.status_path, state="running", name=cfg.name, epoch=epoch,
                                 step=self.step, max_steps=max_steps, loss=round(loss_value, 5))
                    log(f"epoch {epoch} finished at step {self.step}, status.json updated")

        if last_saved != self.step:
            self.save(loss_value)
        write_status(self.status_path, state="finished", name=cfg.name, epoch=self.step // per_epoch,
                     step=self.step, max_steps=max_steps, loss=round(loss_value, 5))
        self.heartbeat.stop()
        log(f"done: step {self.step}, loss {loss_value:.4f}")
        return loss_value
