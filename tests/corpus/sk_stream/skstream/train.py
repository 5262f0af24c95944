"""Train an SGDClassifier on the stream, one partial_fit per chunk.

    python -m skstream.train                 # fresh run from chunk 0
    python -m skstream.train --resume        # continue from the newest snapshot
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import yaml
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss

from skstream.data import Stream
from skstream.monitor import Heartbeat, write_metrics
from skstream.snapshots import latest_snapshot, load_snapshot, save_snapshot

CLASSES = np.array([0, 1])
log = logging.getLogger("skstream")


def setup_logging(log_file):
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in (logging.FileHandler(log_file, mode="a"), logging.StreamHandler()):
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def train(params, resume=False, argv=()):
    cfg = params["train"]
    setup_logging(cfg["log_file"])
    log.info("start argv=%s", list(argv))

    stream = Stream(**params["stream"])
    X_hold, y_hold = stream.holdout(params["model"]["holdout_rows"])
    clf = SGDClassifier(loss=params["model"]["loss"], alpha=params["model"]["alpha"],
                        random_state=params["stream"]["seed"])
    next_chunk, rows_seen = 0, 0

    if resume:
        path = latest_snapshot(cfg["snapshot_dir"])
        if path is None:
            log.warning("--resume given but %s holds no snapshot; starting at chunk 0",
                        cfg["snapshot_dir"])
        else:
            snap = load_snapshot(path)
            clf = snap["model"]
            next_chunk = snap["position"]["next_chunk"]
            rows_seen = snap["position"]["rows_seen"]
            log.info("resumed from %s: next chunk %d, %d rows seen", path, next_chunk, rows_seen)
    else:
        log.info("fresh run from chunk 0 (pass --resume to continue from %s)", cfg["snapshot_dir"])

    hb = Heartbeat(params["heartbeat"]["path"], params["heartbeat"]["period_s"])
    started = time.time()
    for i in range(next_chunk, cfg["max_chunks"]):
        X, y = stream.fetch(i)
        clf.partial_fit(X, y, classes=CLASSES)
        rows_seen += len(y)
        done = i + 1

        if done % cfg["report_every"] == 0:
            loss = log_loss(y, clf.predict_proba(X), labels=CLASSES)
            acc = clf.score(X_hold, y_hold)
            write_metrics(cfg["metrics"], {
                "status": "running", "chunk": done, "max_chunks": cfg["max_chunks"],
                "rows_seen": rows_seen, "train_loss": round(loss, 5),
                "holdout_acc": round(acc, 5), "updated_at": time.time(),
            })
            log.info("chunk %d/%d rows %d loss %.4f holdout_acc %.4f",
                     done, cfg["max_chunks"], rows_seen, loss, acc)

        if done % cfg["snapshot_every"] == 0:
            path = save_snapshot(cfg["snapshot_dir"], done, clf,
                                 {"next_chunk": done, "rows_seen": rows_seen})
            log.info("snapshot %s", path)

    hb.stop()
    Path(cfg["model_out"]).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(clf, cfg["model_out"])
    acc = clf.score(X_hold, y_hold)
    write_metrics(cfg["metrics"], {
        "status": "finished", "chunk": cfg["max_chunks"], "max_chunks": cfg["max_chunks"],
        "rows_seen": rows_seen, "holdout_acc": round(acc, 5), "updated_at": time.time(),
    })
    log.info("finished: %d rows, holdout_acc %.4f, %.1f s this session, model in %s",
             rows_seen, acc, time.time() - started, cfg["model_out"])
    return clf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--resume", action="store_true",
                        help="load the newest snapshot in train.snapshot_dir and continue the stream")
    args = parser.parse_args(argv)
    with open(args.params) as fh:
        params = yaml.safe_load(fh)
    train(params, resume=args.resume, argv=sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
