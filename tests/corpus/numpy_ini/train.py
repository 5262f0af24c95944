"""Train the two-layer NumPy MLP described by an INI file.

    python train.py --config configs/default.ini            # fresh run
    python train.py --config configs/default.ini --resume   # continue from the newest snapshot
"""

import argparse
import configparser
import json
import logging
import os
import sys
import time

import numpy as np

from mlp import ckpt, data
from mlp.heartbeat import Heartbeat
from mlp.model import MLP
from mlp.optim import SGDMomentum

logging.basicConfig(
    filename="train.log",
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("train")


def read_config(path):
    cfg = configparser.ConfigParser()
    if not cfg.read(path):
        sys.exit(f"cannot read config file {path}")
    return cfg


def evaluate(model, x, y, chunk=2000):
    losses, correct = [], 0
    for i in range(0, len(x), chunk):
        logits = model.forward(x[i:i + chunk])
        losses.append(model.loss(logits, y[i:i + chunk]) * len(logits))
        correct += int((logits.argmax(axis=1) == y[i:i + chunk]).sum())
    return sum(losses) / len(x), correct / len(x)


def write_status(path, **fields):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fields, f, indent=2)
    os.replace(tmp, path)


def train(cfg, resume=False):
    tr, ck, lg = cfg["train"], cfg["checkpoint"], cfg["logging"]
    logging.getLogger().setLevel(lg.get("level", "INFO"))
    run_dir = ck.get("dir")
    os.makedirs(run_dir, exist_ok=True)

    x_tr, y_tr, x_va, y_va = data.make_dataset(cfg["data"])
    rng = np.random.default_rng(tr.getint("seed"))
    model = MLP(x_tr.shape[1], cfg["model"].getint("hidden"), cfg["data"].getint("n_classes"),
                rng, init_scale=cfg["model"].getfloat("init_scale"))
    opt = SGDMomentum(model.params, lr=tr.getfloat("lr"), momentum=tr.getfloat("momentum"),
                      weight_decay=tr.getfloat("weight_decay"))

    step, best_val = 0, float("inf")
    if resume:
        path = ckpt.latest(run_dir)
        if path is None:
            log.warning("--resume given but %s has no snapshot; starting from step 0", run_dir)
        else:
            step, best_val = ckpt.restore(ckpt.load(path), model, opt, rng)
            log.info("resumed from %s at step %d (best val loss %.4f)", path, step, best_val)

    max_steps, batch = tr.getint("max_steps"), tr.getint("batch_size")
    eval_every, log_every = tr.getint("eval_every"), lg.getint("log_every")
    every_s = ck.getfloat("every_seconds", fallback=120.0)
    status_path = os.path.join(run_dir, lg.get("status_file"))

    beat = Heartbeat(os.path.join(run_dir, lg.get("heartbeat_file")),
                     lg.getfloat("heartbeat_seconds"), lambda: step)
    beat.start()
    last_save = t_log = time.monotonic()
    try:
        while step < max_steps:
            idx = rng.integers(0, len(x_tr), size=batch)
            loss = model.loss_and_grads(x_tr[idx], y_tr[idx])
            opt.step(model.params, model.grads)
            step += 1

            if step % log_every == 0:
                now = time.monotonic()
                log.info("step %d loss %.4f (%.1f ms/step)", step, loss,
                         1000 * (now - t_log) / log_every)
                t_log = now

            if step % eval_every == 0:
                val_loss, val_acc = evaluate(model, x_va, y_va)
                log.info("val step %d loss %.4f acc %.3f", step, val_loss, val_acc)
                if val_loss < best_val:
                    best_val = val_loss
                    write_status(status_path, step=step, val_loss=round(val_loss, 5),
                                 val_acc=round(val_acc, 4), best_val_loss=round(best_val, 5),
                                 updated=time.strftime("%Y-%m-%dT%H:%M:%S"))

            if time.monotonic() - last_save >= every_s:
                path = ckpt.save(run_dir, step, model, opt, rng, best_val)
                log.info("snapshot step %d -> %s", step, path)
                last_save = time.monotonic()

        path = ckpt.save(run_dir, step, model, opt, rng, best_val)
        log.info("finished at step %d, final snapshot %s", step, path)
    finally:
        beat.stop()
    return model, step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/default.ini")
    ap.add_argument("--resume", action="store_true",
                    help="load the newest ckpt_*.npz in [checkpoint] dir before training")
    args = ap.parse_args(argv)
    cfg = read_config(args.config)
    log.info("start pid %d argv %s", os.getpid(), " ".join(sys.argv))
    train(cfg, resume=args.resume)


if __name__ == "__main__":
    main()
