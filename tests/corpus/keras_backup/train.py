"""Fit the spiral classifier with Keras 3 (run with KERAS_BACKEND=torch).

    python train.py --run-dir artifacts/run1 >> artifacts/run1/train.log 2>&1
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

from data import SpiralBatches, make_spirals  # noqa: E402
from models import build_classifier  # noqa: E402


def stamp():
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run-dir", default="artifacts/run1")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--n-points", type=int, default=1000)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--ckpt-every", type=int, default=300, help="batches between ModelCheckpoint saves")
    p.add_argument("--backup-every", type=int, default=50, help="batches between backups")
    p.add_argument("--batch-delay", type=float, default=0.25, help="seconds of simulated I/O per batch")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


class RunStatus(keras.callbacks.Callback):
    """Rewrites <run_dir>/status.json at the end of every epoch."""

    def __init__(self, path, epochs):
        super().__init__()
        self.path = Path(path)
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        status = {
            "epoch": epoch + 1,
            "of": self.epochs,
            "loss": round(float(logs.get("loss", float("nan"))), 5),
            "accuracy": round(float(logs.get("accuracy", float("nan"))), 4),
            "updated": stamp(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=2))
        os.replace(tmp, self.path)


def main(argv=None):
    args = parse_args(argv)
    run_dir = Path(args.run_dir)
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    print(f"[{stamp()}] train.py pid={os.getpid()} argv: {' '.join(sys.argv[1:])}", flush=True)
    print(f"[{stamp()}] keras {keras.__version__}, backend {keras.backend.backend()}", flush=True)

    keras.utils.set_random_seed(args.seed)
    x, y = make_spirals(args.n_points, seed=args.seed)
    train = SpiralBatches(x, y, args.batch_size, delay=args.batch_delay)
    model = build_classifier(hidden=args.hidden, lr=args.lr)

    backup_dir = run_dir / "backup"
    meta = backup_dir / "training_metadata.json"
    if meta.exists():
        # BackupAndRestore does the restoring itself in on_train_begin; this is only for the log
        print(f"[{stamp()}] found a backup in {backup_dir} ({meta.read_text().strip()}); "
              "fit() will continue from it", flush=True)

    callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir=str(backup_dir), save_freq=args.backup_every),
        keras.callbacks.ModelCheckpoint(
            filepath=str(run_dir / "checkpoints" / "ckpt-e{epoch:02d}-b{batch:04d}.keras"),
            save_freq=args.ckpt_every,
            verbose=1,
        ),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        RunStatus(run_dir / "status.json", args.epochs),
    ]
    t0 = time.time()
    history = model.fit(train, epochs=args.epochs, callbacks=callbacks, verbose=2)
    model.save(run_dir / "final.keras")
    print(f"[{stamp()}] done in {time.time() - t0:.0f}s: {len(history.history['loss'])} epochs this run, "
          f"final loss {history.history['loss'][-1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
