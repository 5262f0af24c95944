"""Train the small regression MLP.

    python trainer.py --run-dir runs/mlp-small --max-steps 4200 --read-latency 0.08

See README.md for what lands in the run folder and how to pick a run back up.
"""
from __future__ import print_function

import argparse
import logging
import os
import sys
import time

import torch
from torch import nn

from utils.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from utils.data import N_FEATURES, batches, validation_set
from utils.heartbeat import Heartbeat
from utils.metrics import MetricsLogger
from utils.status import write_status

log = logging.getLogger("trainer")


def get_args(argv=None):
    p = argparse.ArgumentParser(description="tiny MLP regression trainer")
    p.add_argument("--run-dir", default="runs/default")
    p.add_argument("--max-steps", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--save-every", type=int, default=1000,
                   help="optimizer steps between checkpoints")
    p.add_argument("--status-every", type=int, default=25,
                   help="optimizer steps between status.json rewrites")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--read-latency", type=float, default=0.0,
                   help="seconds slept per batch (mimics the NFS reader)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest ckpt_step_*.pt in --run-dir")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def build_model(hidden):
    return nn.Sequential(nn.Linear(N_FEATURES, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def setup_logging(run_dir):
    log.handlers[:] = []
    log.setLevel(logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for h in (logging.FileHandler(os.path.join(run_dir, "train.log")),
              logging.StreamHandler(sys.stdout)):
        h.setFormatter(fmt)
        log.addHandler(h)


def evaluate(model, val):
    model.eval()
    with torch.no_grad():
        x, y = val
        return nn.functional.mse_loss(model(x), y).item()


def train(args):
    if not os.path.isdir(args.run_dir):
        os.makedirs(args.run_dir)
    setup_logging(args.run_dir)
    log.info("argv: %s", " ".join(sys.argv))
    log.info("args: %s", vars(args))

    torch.manual_seed(args.seed)
    model = build_model(args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()

    step = 0
    if args.resume:
        path = latest_checkpoint(args.run_dir)
        if path is None:
            log.warning("--resume given but no checkpoint in %s, starting at step 0", args.run_dir)
        else:
            step = load_checkpoint(path, model, opt)
            log.info("resumed from %s at step %d", path, step)

    status_path = os.path.join(args.run_dir, "status.json")
    metrics = MetricsLogger(os.path.join(args.run_dir, "metrics.csv"), append=args.resume)
    hb = Heartbeat(os.path.join(args.run_dir, "heartbeat"), every=20.0)
    hb.beat(step)  # first beat right away so the watcher sees the job is up

    data = batches(args.batch_size, seed=args.seed + step, latency=args.read_latency)
    val = validation_set()
    started = time.time()
    first_step = step
    try:
        while step < args.max_steps:
            model.train()
            x, y = next(data)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1

            metrics.log(step=step, loss="%.5f" % loss.item(),
                        lr=opt.param_groups[0]["lr"], time="%.3f" % time.time())

            if step % args.status_every == 0:
                write_status(status_path, state="running", step=step,
                             max_steps=args.max_steps, loss=round(loss.item(), 5))

            if step % args.eval_every == 0:
                rate = (step - first_step) / (time.time() - started)
                log.info("step %d  val_loss %.5f  train_loss %.5f  (%.1f steps/s)",
                         step, evaluate(model, val), loss.item(), rate)

            if step % args.save_every == 0:
                path = save_checkpoint(args.run_dir, step, model, opt)
                log.info("saved %s", path)
    finally:
        hb.stop()
        metrics.close()

    torch.save(model.state_dict(), os.path.join(args.run_dir, "final.pt"))
    write_status(status_path, state="finished", step=step, max_steps=args.max_steps,
                 loss=round(loss.item(), 5) if step > first_step else None)
    log.info("finished at step %d, final.pt written", step)
    return model


def main(argv=None):
    train(get_args(argv))


if __name__ == "__main__":
    main()
