"""Snapshots: the fitted estimator and the stream position, in one joblib file each."""

from pathlib import Path

import joblib

PATTERN = "chunk_*.joblib"


def save_snapshot(folder, chunk, model, position):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"chunk_{chunk:06d}.joblib"
    tmp = path.with_suffix(".tmp")
    joblib.dump({"model": model, "position": position}, tmp)
    tmp.replace(path)
    return path


def latest_snapshot(folder):
    found = sorted(Path(folder).glob(PATTERN))
    return found[-1] if found else None


def load_snapshot(path):
    return joblib.load(path)
