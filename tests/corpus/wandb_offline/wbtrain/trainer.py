import logging
import os
import time
from pathlib import Path

import torch
import wandb

from .ckpt import load_checkpoint, newest_checkpoint, save_checkpoint
from .heartbeat import Heartbeat
from .model import SyntheticRegression, TinyMLP

log = logging.getLogger("wbtrain")

DEFAULTS = {
    "project": "wb-smoke",
    "run_name": "tiny-mlp",
    "ckpt_dir": "checkpoints",
    "save_every_secs": 45,     # wall clock, see README "Checkpoints"
    "log_every": 25,
    "eval_every": 500,
    "max_steps": 2000,
    "batch_size": 32,
    "lr": 3e-3,
    "seed": 0,
    "step_delay": 0.0,         # fake dataloader latency, seconds per batch
}


def evaluate(model, seed, n=256):
    data = SyntheticRegression(batch_size=n, seed=seed)
    x, y = data.batch()
    with torch.no_grad():
        return torch.nn.functional.mse_loss(model(x), y).item()


def train(cfg, resume=None):
    cfg = {**DEFAULTS, **cfg}
    torch.manual_seed(cfg["seed"])
    model = TinyMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    data = SyntheticRegression(batch_size=cfg["batch_size"], seed=cfg["seed"])
    ckpt_dir = Path(cfg["ckpt_dir"])
    hb = Heartbeat(ckpt_dir / "heartbeat")

    start = 0
    if resume:
        path = newest_checkpoint(ckpt_dir) if resume == "latest" else Path(resume)
        if path is None:
            log.warning("--resume given but %s holds no checkpoint, starting fresh", ckpt_dir)
        else:
            start = load_checkpoint(path, model, opt, data)
            log.info("resumed from %s at step %d", path, start)

    run = wandb.init(project=cfg["project"], id=cfg["run_name"], resume="allow",
                     config=cfg, dir=os.environ.get("WANDB_DIR", "."))
    last_save = time.time()
    step = start
    try:
        while step < cfg["max_steps"]:
            if cfg["step_delay"]:
                time.sleep(cfg["step_delay"])
            x, y = data.batch()
            loss = torch.nn.functional.mse_loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1

            wandb.log({"train/loss": loss.item()}, step=step)
            if step % cfg["log_every"] == 0:
                log.info("step %d loss %.5f", step, loss.item())
            if step % cfg["eval_every"] == 0:
                val = evaluate(model, cfg["seed"] + 1)
                wandb.log({"val/loss": val}, step=step)
                log.info("eval step %d val_loss %.5f", step, val)

            if time.time() - last_save >= cfg["save_every_secs"]:
                path = save_checkpoint(ckpt_dir, step, model, opt, data)
                wandb.save(str(path), base_path=".", policy="now")
                log.info("saved %s", path)
                last_save = time.time()

        path = save_checkpoint(ckpt_dir, step, model, opt, data)
        wandb.save(str(path), base_path=".", policy="now")
        log.info("finished at step %d, final checkpoint %s", step, path)
    finally:
        hb.stop()
        run.finish()
    return step
