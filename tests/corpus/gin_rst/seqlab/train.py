"""Training loop and command line (run it as ``python -m seqlab``)."""

import argparse
import logging
import os
import sys
import time

import gin
import torch
from torch import nn

from seqlab import checkpoint, data, status
from seqlab.model import TinyGRU

log = logging.getLogger("seqlab")


def _setup_logging(run_dir):
    log.setLevel(logging.INFO)
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.StreamHandler(sys.stderr),
                    logging.FileHandler(os.path.join(run_dir, "train.log"))):
        handler.setFormatter(fmt)
        log.addHandler(handler)


@gin.configurable(denylist=["argv"])
def train(run_dir=gin.REQUIRED,
          max_steps=1000,
          learning_rate=3e-3,
          log_every=10,
          status_every=25,
          save_every_secs=90,
          heartbeat_secs=15,
          init_from=None,
          auto_resume=False,
          argv=None):
    os.makedirs(run_dir, exist_ok=True)
    _setup_logging(run_dir)
    ckpt_dir = os.path.join(run_dir, "ckpt")
    log.info("argv: %s", " ".join(argv or []))

    model = TinyGRU()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss()

    step = 0
    source = init_from
    if source is None and auto_resume:
        source = checkpoint.newest(ckpt_dir)
    if source is not None:
        step = checkpoint.restore(source, model, optimizer)
        log.info("restored %s, continuing at step %d", source, step)
    else:
        log.info("starting from scratch")

    with open(os.path.join(run_dir, "operative_config.gin"), "w") as f:
        f.write(gin.operative_config_str())

    status_path = os.path.join(run_dir, "status.json")
    heartbeat = status.Heartbeat(os.path.join(run_dir, "heartbeat.txt"), heartbeat_secs)
    timer = checkpoint.SaveTimer(save_every_secs)
    timer.start()
    started = time.time()
    stream = data.batches(seed=step)
    try:
        while step < max_steps:
            inputs, targets = next(stream)
            logits = model(inputs)
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1

            if step % log_every == 0:
                log.info("step %d loss %.4f", step, loss.item())
            if step % status_every == 0:
                status.write_status(status_path, state="running", step=step,
                                    max_steps=max_steps, loss=round(loss.item(), 4),
                                    elapsed_s=round(time.time() - started, 1))
                heartbeat.step = step
                heartbeat.beat()
            if timer.due:
                timer.due = False
                path = checkpoint.save(ckpt_dir, step, model, optimizer)
                log.info("checkpoint [timer] step %d -> %s", step, path)
    finally:
        timer.stop()
        heartbeat.stop()

    path = checkpoint.save(ckpt_dir, step, model, optimizer)
    log.info("checkpoint [final] step %d -> %s", step, path)
    status.write_status(status_path, state="finished", step=step, max_steps=max_steps,
                        loss=round(loss.item(), 4), elapsed_s=round(time.time() - started, 1))
    return step


def main(args=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gin_file", action="append", default=[])
    parser.add_argument("--gin_param", action="append", default=[])
    opts = parser.parse_args(args)
    gin.parse_config_files_and_bindings(opts.gin_file, opts.gin_param)
    argv = sys.argv[1:] if args is None else list(args)
    train(argv=argv)
