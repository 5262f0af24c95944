"""Train a small autoencoder on synthetic 8x8 "images" with Hugging Face Accelerate.

    accelerate launch train.py --project_dir runs/exp1

The same command continues an interrupted job: see docs/training.md.
"""

import argparse
import json
import logging
import os
import re
import sys
import threading
import time

import torch
from accelerate import Accelerator
from accelerate.utils import ProjectConfiguration, set_seed
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CHECKPOINT_DIR = re.compile(r"checkpoint_(\d+)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--project_dir", default="runs/exp1", help="checkpoints, progress.json and heartbeat.log go here")
    p.add_argument("--max_steps", type=int, default=150)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--save_every", type=int, default=25, help="optimizer steps between two save_state() calls")
    p.add_argument("--progress_every", type=int, default=5, help="steps between two progress.json updates")
    p.add_argument("--heartbeat_seconds", type=float, default=10.0)
    p.add_argument("--resume_from_checkpoint", default=None,
                   help="a checkpoints/checkpoint_<n> folder; by default the newest one is used")
    p.add_argument("--step_delay", type=float, default=0.0, help="seconds of simulated data loading per step")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def synthetic_images(n: int, seed: int) -> TensorDataset:
    """Two Gaussian blobs per 8x8 image, at random places and widths."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    centres = torch.rand(n, 2, 2, generator=g) * 7
    widths = 0.8 + torch.rand(n, 2, generator=g) * 1.5
    images = torch.zeros(n, 8, 8)
    for k in range(2):
        d2 = (ys - centres[:, k, 0, None, None]) ** 2 + (xs - centres[:, k, 1, None, None]) ** 2
        images += torch.exp(-d2 / (2 * widths[:, k, None, None] ** 2))
    return TensorDataset(images.reshape(n, 64))


class AutoEncoder(nn.Module):
    def __init__(self, dim: int = 64, hidden: int = 32, code: int = 8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class StepCounter:
    """Registered with the accelerator so the step count is saved and restored with the state."""

    def __init__(self):
        self.step = 0

    def state_dict(self):
        return {"step": self.step}

    def load_state_dict(self, state):
        self.step = state["step"]


class Heartbeat(threading.Thread):
    """Appends a timestamped line to heartbeat.log on its own clock, even while a step hangs."""

    def __init__(self, path: str, every_seconds: float, counter: StepCounter):
        super().__init__(name="heartbeat", daemon=True)
        self.path, self.every_seconds, self.counter = path, every_seconds, counter
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            with open(self.path, "a") as f:
                f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} step={self.counter.step}\n")
            self._stop_event.wait(self.every_seconds)

    def stop(self):
        self._stop_event.set()
        self.join()


def checkpoint_number(path: str) -> int:
    return int(CHECKPOINT_DIR.fullmatch(os.path.basename(os.path.normpath(path))).group(1))


def latest_checkpoint(project_dir: str):
    """The checkpoints/checkpoint_<n> folder with the highest n, or None."""
    root = os.path.join(project_dir, "checkpoints")
    if not os.path.isdir(root):
        return None
    found = [d for d in os.listdir(root) if CHECKPOINT_DIR.fullmatch(d) and os.path.isdir(os.path.join(root, d))]
    if not found:
        return None
    return os.path.join(root, max(found, key=checkpoint_number))


def write_progress(path: str, **fields) -> None:
    fields["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fields, f, indent=2)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    project_config = ProjectConfiguration(
        project_dir=args.project_dir, automatic_checkpoint_naming=True, total_limit=3
    )
    accelerator = Accelerator(project_config=project_config)
    accelerator.print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()} argv: {' '.join(sys.argv)}")
    os.makedirs(args.project_dir, exist_ok=True)
    set_seed(args.seed)

    model = AutoEncoder()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    loader = DataLoader(synthetic_images(4096, args.seed), batch_size=args.batch_size, shuffle=True, drop_last=True)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    counter = StepCounter()
    accelerator.register_for_checkpointing(counter)

    newest = latest_checkpoint(args.project_dir)
    resume_from = args.resume_from_checkpoint or newest
    if resume_from is not None:
        accelerator.load_state(resume_from)
        # automatic naming counts from 0 in a new process; continue after the newest folder instead
        accelerator.project_configuration.iteration = checkpoint_number(newest) + 1
        accelerator.print(f"resumed from {resume_from} at step {counter.step}")

    progress_path = os.path.join(args.project_dir, "progress.json")
    heartbeat = None
    if accelerator.is_main_process:
        heartbeat = Heartbeat(os.path.join(args.project_dir, "heartbeat.log"), args.heartbeat_seconds, counter)
        heartbeat.start()

    model.train()
    loss = None
    while counter.step < args.max_steps:
        for (batch,) in loader:
            if args.step_delay:
                time.sleep(args.step_delay)
            loss = nn.functional.mse_loss(model(batch), batch)
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
            counter.step += 1

            accelerator.print(f"{time.strftime('%H:%M:%S')} step {counter.step}/{args.max_steps} loss {loss.item():.5f}")
            if accelerator.is_main_process and counter.step % args.progress_every == 0:
                write_progress(progress_path, status="training", step=counter.step,
                               max_steps=args.max_steps, loss=round(loss.item(), 6))
            if counter.step % args.save_every == 0:
                accelerator.save_state()
            if counter.step >= args.max_steps:
                break

    accelerator.wait_for_everyone()
    accelerator.save_model(model, os.path.join(args.project_dir, "final"))
    if accelerator.is_main_process:
        write_progress(progress_path, status="finished", step=counter.step, max_steps=args.max_steps,
                       loss=None if loss is None else round(loss.item(), 6))
        heartbeat.stop()
    accelerator.print(f"{time.strftime('%H:%M:%S')} done at step {counter.step}")
    accelerator.end_training()


if __name__ == "__main__":
    main()
