"""Fit the next-hour load forecaster.

    python train.py --config config.yaml                 # fresh fit into run_dir
    python train.py --config config.yaml --resume        # continue a killed fit
    python train.py --config config.yaml --set train.max_epochs=5 --set run_dir=/tmp/x
"""

import argparse
import json
import logging
import re
import sys
from pathlib import Path

import torch
import yaml
from skorch import NeuralNetRegressor
from skorch.callbacks import Checkpoint, EpochScoring, LoadInitState, TrainEndCheckpoint
from skorch.dataset import ValidSplit

from meterfc.callbacks import BatchLossLog, Heartbeat, StatusFile
from meterfc.data import MeterWindows, synth_load
from meterfc.model import LoadGRU

log = logging.getLogger("meterfc")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def load_config(path, overrides=()):
    cfg = yaml.safe_load(Path(path).read_text())
    for item in overrides:
        key, _, value = item.partition("=")
        *parents, leaf = key.split(".")
        node = cfg
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = yaml.safe_load(value)
    return cfg


def setup_logging(run_dir):
    run_dir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger = logging.getLogger("meterfc")
    logger.setLevel(logging.INFO)
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(run_dir / "train.log")):
        handler.setFormatter(fmt)
        logger.addHandler(handler)


def log_table(text):
    """PrintLog sink: the epoch table without its terminal colours."""
    for line in ANSI.sub("", text).splitlines():
        log.info(line)


def build_net(cfg, run_dir, resume, epochs_done):
    tr = cfg["train"]
    ckpt_dir = str(run_dir / "checkpoints")
    # keep the weights of the best epoch so far; history.json rides along for --resume
    best = Checkpoint(dirname=ckpt_dir, monitor="valid_loss_best",
                      f_params="params.pt", f_optimizer="optimizer.pt",
                      f_history="history.json")
    callbacks = [
        ("valid_mae", EpochScoring("neg_mean_absolute_error", lower_is_better=False,
                                   name="valid_mae")),
        ("batch_log", BatchLossLog(every=tr["log_every_batches"])),
        ("best", best),
        ("final", TrainEndCheckpoint(dirname=ckpt_dir)),
        ("status", StatusFile(run_dir / "status.json")),
        ("heartbeat", Heartbeat(run_dir / "heartbeat", every=cfg["heartbeat_seconds"])),
    ]
    if resume:
        callbacks.insert(0, ("load_state", LoadInitState(best)))
    return NeuralNetRegressor(
        LoadGRU,
        module__hidden=cfg["model"]["hidden"],
        max_epochs=max(tr["max_epochs"] - epochs_done, 0),
        batch_size=tr["batch_size"],
        lr=tr["lr"],
        optimizer=torch.optim.Adam,
        train_split=ValidSplit(tr["valid_fraction"], random_state=cfg["data"]["seed"]),
        iterator_train__shuffle=True,
        callbacks=callbacks,
        callbacks__print_log__sink=log_table,  # epoch table into train.log
        device="cpu",
    )


def epochs_on_disk(run_dir):
    hist = run_dir / "checkpoints" / "history.json"
    return len(json.loads(hist.read_text())) if hist.exists() else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--resume", action="store_true",
                        help="load run_dir/checkpoints before fitting (default: start fresh)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    raw_args = sys.argv[1:] if argv is None else argv

    cfg = load_config(args.config, args.set)
    resume = args.resume or bool(cfg.get("resume", False))
    run_dir = Path(cfg["run_dir"])
    setup_logging(run_dir)
    log.info("command: train.py %s", " ".join(raw_args))

    done = epochs_on_disk(run_dir) if resume else 0
    if resume:
        log.info("resuming: %d epochs in %s, %d to go", done, run_dir / "checkpoints",
                 cfg["train"]["max_epochs"] - done)

    torch.manual_seed(cfg["data"]["seed"] + done)
    d = cfg["data"]
    dataset = MeterWindows(synth_load(d["hours"], seed=d["seed"]), window=d["window"],
                           io_ms=d["io_ms"])
    net = build_net(cfg, run_dir, resume, done)
    net.fit(dataset, y=None)
    log.info("done after %d epochs, best valid_loss %.5f", len(net.history),
             min(net.history[:, "valid_loss"]))
    return net


if __name__ == "__main__":
    main()
