"""Train the tabular MLP described by a TOML config (normally through `make train`).

With no --resume, the newest <out_dir>/checkpoints/ckpt-*.pt (by modification time) is
loaded if there is one; --fresh ignores existing checkpoints, --resume PATH picks one.
"""

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from tabnet import ckpt, config
from tabnet.heartbeat import ProgressHeartbeat
from tabnet.model import mlp


def say(message):
    tqdm.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--resume", type=Path, help="continue from this checkpoint file")
    group.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    return p.parse_args(argv)


def batches(x, y, batch_size, epoch, seed, io_delay_s, first_batch=0):
    order = np.random.default_rng(seed + epoch).permutation(len(x))
    for start in range(first_batch * batch_size, len(x), batch_size):
        if io_delay_s:
            time.sleep(io_delay_s)  # stands in for fetching the shard from the NFS share
        idx = order[start:start + batch_size]
        yield torch.from_numpy(x[idx]), torch.from_numpy(y[idx])


def main(argv=None):
    args = parse_args(argv)
    cfg = config.load(args.config)
    data_cfg, train_cfg = cfg["data"], cfg["train"]
    out_dir = Path(train_cfg["out_dir"])
    ckpt_dir = out_dir / "checkpoints"
    out_dir.mkdir(parents=True, exist_ok=True)
    say(f"start: {' '.join(sys.argv)} (pid {os.getpid()})")

    arrays = np.load(data_cfg["path"])
    x, y = arrays["x"], arrays["y"]
    steps_per_epoch = -(-len(x) // data_cfg["batch_size"])
    torch.manual_seed(train_cfg["seed"])
    model = mlp(x.shape[1], int(y.max()) + 1, cfg["model"]["hidden"], cfg["model"]["depth"])
    optimizer = torch.optim.AdamW(model.parameters(), **cfg["optim"])

    step = 0
    source = args.resume or (None if args.fresh else ckpt.newest(ckpt_dir))
    if source is not None:
        state = ckpt.load(source)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
        how = "given with --resume" if args.resume else "newest by mtime"
        say(f"resumed from {source} ({how}): step {step}")

    heartbeat = ProgressHeartbeat(out_dir / "progress.json", train_cfg["heartbeat_every_s"])
    heartbeat.update(status="running", step=step, epoch=step // steps_per_epoch,
                     total_steps=train_cfg["epochs"] * steps_per_epoch)
    heartbeat.start()

    def save():
        path = ckpt.save(ckpt_dir, step, {"model": model.state_dict(),
                                           "optimizer": optimizer.state_dict(), "step": step},
                         keep_last=train_cfg["keep_last"])
        heartbeat.update(last_checkpoint=str(path))
        return path

    last_save = time.monotonic()
    for epoch in range(step // steps_per_epoch, train_cfg["epochs"]):
        skip = step - epoch * steps_per_epoch  # batches this epoch already done before a resume
        stream = batches(x, y, data_cfg["batch_size"], epoch, train_cfg["seed"],
                         data_cfg["io_delay_s"], first_batch=skip)
        bar = tqdm(stream, total=steps_per_epoch, initial=skip, desc=f"epoch {epoch}", leave=False)
        for i, (xb, yb) in enumerate(bar, start=skip):
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            heartbeat.update(step=step, epoch=epoch, loss=round(loss.item(), 4))
            say(f"epoch {epoch} batch {i + 1}/{steps_per_epoch} step {step} loss {loss.item():.4f}")
            since = time.monotonic() - last_save
            if since >= train_cfg["save_every_s"]:
                path = save()
                say(f"saved {path} ({since:.1f} s since the last save)")
                last_save = time.monotonic()
        bar.close()

    path = save()
    say(f"saved {path} (end of training)")
    heartbeat.update(status="finished")
    heartbeat.stop()
    say(f"done: {step} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
