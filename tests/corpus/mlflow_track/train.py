#!/usr/bin/env python
"""Train the sensor MLP; params, metrics and checkpoints are tracked in ./mlruns (MLflow file store)."""

import argparse
import logging
import os
import sys
import time

# MLflow 3 only keeps the ./mlruns backend alive behind this switch (see README, "Setup").
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from ckpt import load_checkpoint, newest_checkpoint, read_run_state, save_checkpoint, write_run_state  # noqa: E402
from model import SensorMLP, ShardLoader, make_dataset  # noqa: E402

log = logging.getLogger("train")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--experiment", default="sensor-mlp")
    p.add_argument("--ckpt-dir", default="checkpoints")
    p.add_argument("--ckpt-minutes", type=float, default=10.0,
                   help="wall-clock minutes between checkpoints (10 suits the cluster's NFS)")
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--rows", type=int, default=16000)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--io-delay-ms", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fresh", action="store_true",
                   help="ignore checkpoints/run_state.json and open a new MLflow run")
    return p.parse_args(argv)


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        loss = nn.functional.mse_loss(model(x), y).item()
    model.train()
    return loss


def checkpoint(args, step, epoch, model, opt, run_id, reason):
    path = save_checkpoint(args.ckpt_dir, step, epoch, model, opt, run_id)
    mlflow.log_artifact(str(path), artifact_path="checkpoints")
    log.info("checkpoint [%s] %s", reason, path)
    return path


def open_run(args, model, opt):
    """Reopen the run named in run_state.json (and its newest checkpoint), or start a new one."""
    state = None if args.fresh else read_run_state(args.ckpt_dir)
    if state is None:
        run = mlflow.start_run()
        write_run_state(args.ckpt_dir, run.info.run_id, run.info.experiment_id)
        mlflow.log_params({k: v for k, v in vars(args).items() if k != "fresh"})
        log.info("new MLflow run %s (experiment %s)", run.info.run_id, run.info.experiment_id)
        return run, 0, 0
    run = mlflow.start_run(run_id=state["run_id"])
    last = newest_checkpoint(args.ckpt_dir)
    if last is None:
        log.info("reopened MLflow run %s; no checkpoint yet, starting at step 0", run.info.run_id)
        return run, 0, 0
    step, epoch = load_checkpoint(last, model, opt)
    log.info("resuming MLflow run %s from %s at step %d (epoch %d)", run.info.run_id, last, step, epoch)
    return run, step, epoch


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("argv: %s", " ".join(sys.argv[1:] if argv is None else argv))
    torch.manual_seed(args.seed)

    (x, y), (x_val, y_val) = make_dataset(args.rows, seed=args.seed)
    loader = ShardLoader(x, y, args.batch_size, io_delay_ms=args.io_delay_ms, seed=args.seed)
    model = SensorMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)

    mlflow.set_tracking_uri("file:./mlruns")
    mlflow.set_experiment(args.experiment)
    run, step, epoch = open_run(args, model, opt)
    run_id = run.info.run_id

    period_s = args.ckpt_minutes * 60.0
    last_save = time.monotonic()
    try:
        while step < args.max_steps:
            for xb, yb in loader.epoch(epoch, start_batch=step - epoch * len(loader)):
                loss = nn.functional.mse_loss(model(xb), yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                mlflow.log_metric("train_loss", loss.item(), step=step)
                if time.monotonic() - last_save >= period_s:
                    checkpoint(args, step, epoch, model, opt, run_id, "timer")
                    last_save = time.monotonic()
                if step >= args.max_steps:
                    break
            val = evaluate(model, x_val, y_val)
            mlflow.log_metric("val_loss", val, step=step)
            log.info("epoch %d step %d val_loss %.5f", epoch, step, val)
            if step - epoch * len(loader) >= len(loader):
                epoch += 1
        checkpoint(args, step, epoch, model, opt, run_id, "final")
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    mlflow.end_run()
    log.info("done at step %d", step)


if __name__ == "__main__":
    main()
