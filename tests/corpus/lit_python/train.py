"""Fit the curve regressor. Run `python train.py --help` for the options."""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from callbacks import ProgressFile
from data import CurveDataModule
from model import CurveRegressor


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="outputs", help="folder for checkpoints, logs and progress.json")
    p.add_argument("--max-epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--num-samples", type=int, default=2400)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--ckpt-every-minutes", type=float, default=1.0, help="wall-clock time between checkpoints")
    p.add_argument("--progress-every", type=int, default=20, help="batches between progress.json updates")
    p.add_argument("--sample-delay", type=float, default=0.03, help="seconds spent loading each sample")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def build_callbacks(args):
    out = Path(args.out)
    checkpoint = ModelCheckpoint(
        dirpath=out / "checkpoints",
        filename="{epoch}-{step}",
        train_time_interval=timedelta(minutes=args.ckpt_every_minutes),
        save_top_k=-1,
        save_last=True,
    )
    return [checkpoint, ProgressFile(out, every_n_batches=args.progress_every)]


def main(argv=None):
    args = parse_args(argv)
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] pid {os.getpid()}: train.py {' '.join(sys.argv[1:] if argv is None else argv)}", flush=True)
    L.seed_everything(args.seed)

    dm = CurveDataModule(args.num_samples, args.batch_size, args.sample_delay, args.seed)
    model = CurveRegressor(hidden=args.hidden, lr=args.lr)
    trainer = L.Trainer(
        max_epochs=args.max_epochs,
        accelerator="cpu",
        callbacks=build_callbacks(args),
        logger=CSVLogger(save_dir=args.out, name="logs"),
        log_every_n_steps=10,
        enable_progress_bar=False,
        num_sanity_val_steps=0,
    )
    # "last" restores <out>/checkpoints/last.ckpt when a previous attempt left one,
    # and starts from scratch otherwise, so a crashed job is restarted with the same command.
    trainer.fit(model, dm, ckpt_path="last")
    return trainer


if __name__ == "__main__":
    main()
