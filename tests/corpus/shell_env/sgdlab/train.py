"""Training entry point: python -m sgdlab.train [--resume {auto,none,PATH}]

Settings come from the environment (scripts/train.sh sets them):
  RUN_DIR             where ckpt/ and progress.txt go          (runs/dev)
  MAX_STEPS           optimizer steps in total                 (3200)
  SAVE_EVERY_SECONDS  wall-clock seconds between checkpoints   (120)
  LOG_EVERY           steps between log lines                  (20)
  LR, BATCH_SIZE, SEED, READ_DELAY
"""
import argparse
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import torch

from sgdlab import ckpt
from sgdlab.data import SyntheticStream
from sgdlab.model import MLP

KEEP_LAST = 3


def env_settings(environ=os.environ):
    return {
        "run_dir": Path(environ.get("RUN_DIR", "runs/dev")),
        "max_steps": int(environ.get("MAX_STEPS", "3200")),
        "save_every": float(environ.get("SAVE_EVERY_SECONDS", "120")),
        "log_every": int(environ.get("LOG_EVERY", "20")),
        "lr": float(environ.get("LR", "0.05")),
        "batch_size": int(environ.get("BATCH_SIZE", "64")),
        "seed": int(environ.get("SEED", "0")),
        "read_delay": float(environ.get("READ_DELAY", "0.1")),
    }


def log(msg):
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {msg}", flush=True)


def format_step(step, loss):
    return f"it {step} loss {loss:.4f}"


def write_progress(run_dir, step, loss):
    with open(Path(run_dir) / "progress.txt", "w") as f:
        f.write(f"step: {step}\n")
        f.write(f"loss: {loss:.6f}\n")
        f.write(f"updated: {time.strftime('%Y-%m-%d %H:%M:%S')}\n")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="sgdlab.train")
    p.add_argument("--resume", default="auto",
                   help="auto: newest checkpoint in RUN_DIR/ckpt if any; none: start fresh; "
                        "or a path to a checkpoint file")
    return p.parse_args(argv)


def resolve_resume(resume, ckpt_dir):
    if resume == "none":
        return None
    if resume == "auto":
        return ckpt.latest(ckpt_dir)
    return Path(resume)


_stop = {"signal": None}


def _on_sigterm(signum, frame):
    _stop["signal"] = signum


def main(argv=None):
    args = parse_args(argv)
    cfg = env_settings()
    run_dir = cfg["run_dir"]
    ckpt_dir = run_dir / "ckpt"
    run_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _on_sigterm)

    log(f"pid {os.getpid()} started: {shlex.join(sys.orig_argv)}")
    log("settings: " + " ".join(f"{k}={v}" for k, v in cfg.items()))

    torch.manual_seed(cfg["seed"])
    model = MLP()
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
    data = SyntheticStream(batch_size=cfg["batch_size"], seed=cfg["seed"],
                           read_delay=cfg["read_delay"])
    step = 0

    resume_from = resolve_resume(args.resume, ckpt_dir)
    if resume_from is not None:
        state = ckpt.load(resume_from)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        data.load_state_dict(state["data_rng"])
        step = state["step"]
        log(f"resuming from {resume_from} at step {step}")
    else:
        log("no checkpoint to resume from, starting at step 0")

    def save():
        path = ckpt.ckpt_path(ckpt_dir, step)
        ckpt.save_atomic({"model": model.state_dict(), "opt": opt.state_dict(),
                          "data_rng": data.state_dict(), "step": step}, path)
        ckpt.prune(ckpt_dir, keep=KEEP_LAST)
        log(f"saved {path}")

    last_save = time.time()
    while step < cfg["max_steps"]:
        x, y = data.next_batch()
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1

        if step % cfg["log_every"] == 0:
            log(format_step(step, loss.item()))
            write_progress(run_dir, step, loss.item())

        if _stop["signal"] is not None:
            log(f"got signal {_stop['signal']}, saving and exiting")
            save()
            return 143

        if time.time() - last_save >= cfg["save_every"]:
            save()
            last_save = time.time()

    save()
    log(f"done at step {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
