"""Train seqfab's TinyEncoder with Lightning Fabric.

    python train.py --out-dir out/exp1 2>&1 | tee -a out/exp1/console.log
"""

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from lightning.fabric.loggers import CSVLogger

from seqfab.ckpt import checkpoint_path, newest_checkpoint, prune_checkpoints
from seqfab.data import ModularSequences
from seqfab.heartbeat import Heartbeat
from seqfab.model import TinyEncoder


def get_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--out-dir", default="out/exp1")
    p.add_argument("--max-steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--save-every-s", type=float, default=90.0,
                   help="wall-clock seconds between checkpoints")
    p.add_argument("--keep-last", type=int, default=5)
    p.add_argument("--heartbeat-s", type=float, default=20.0)
    p.add_argument("--data-delay", type=float, default=0.2, help="seconds per batch spent waiting on data")
    p.add_argument("--seed", type=int, default=1234)
    return p.parse_args(argv)


def now():
    return datetime.now().strftime("%H:%M:%S")


def save_checkpoint(fabric, out, state, why, keep_last):
    path = checkpoint_path(out, state["step"])
    fabric.save(path, state)
    fabric.print(f"[{now()}] saved {path} ({why})")
    if fabric.is_global_zero:
        prune_checkpoints(out, keep_last)


def main(argv=None):
    args = get_args(argv)
    out = Path(args.out_dir)
    fabric = L.Fabric(accelerator="cpu", devices=1, precision="32-true",
                      loggers=CSVLogger(root_dir=str(out), name="logs", flush_logs_every_n_steps=10))
    fabric.launch()
    fabric.seed_everything(args.seed)
    fabric.print(f"[{now()}] pid={os.getpid()} cmd: python {' '.join(sys.argv)}")

    model = TinyEncoder(dim=args.dim)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model, optimizer = fabric.setup(model, optimizer)
    state = {"model": model, "optimizer": optimizer, "step": 0}

    latest = newest_checkpoint(out)
    if latest is not None:
        fabric.load(latest, state)
        fabric.print(f"[{now()}] resumed from {latest} at step {state['step']}")
    else:
        fabric.print(f"[{now()}] no checkpoint under {out / 'checkpoints'}, starting at step 0")

    data = ModularSequences(args.batch_size, seed=args.seed, delay=args.data_delay,
                            start_batch=state["step"])
    loader = fabric.setup_dataloaders(torch.utils.data.DataLoader(data, batch_size=None))

    beat = Heartbeat(out / "heartbeat.log", lambda: state["step"], period=args.heartbeat_s)
    if fabric.is_global_zero:
        out.mkdir(parents=True, exist_ok=True)
        beat.start()

    last_save = time.monotonic()
    model.train()
    for x, y in loader:
        if state["step"] >= args.max_steps:
            break
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        fabric.backward(loss)
        optimizer.step()
        state["step"] += 1
        step = state["step"]

        fabric.print(f"[{now()}] step {step} | loss {loss.item():.4f}")
        if step % 10 == 0:
            fabric.log_dict({"train/loss": loss.item()}, step=step)

        if time.monotonic() - last_save >= args.save_every_s:
            save_checkpoint(fabric, out, state, "timer", args.keep_last)
            last_save = time.monotonic()

    save_checkpoint(fabric, out, state, "end of training", args.keep_last)
    fabric.logger.finalize("success")
    beat.stop()


if __name__ == "__main__":
    main()
