"""Snapshots in <run_dir>/checkpoints/step-<N>.pt, written atomically."""
import logging
import os
import re
from pathlib import Path

import torch

log = logging.getLogger("lumen")
SNAPSHOT = re.compile(r"^step-(\d{6,})\.pt$")


class CheckpointStore:
    def __init__(self, directory, keep_last):
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.directory.mkdir(parents=True, exist_ok=True)

    def path_for(self, step):
        return self.directory / f"step-{step:06d}.pt"

    def save(self, step, payload):
        """Write to a temporary file, fsync it, rename it into place, then drop old snapshots."""
        final = self.path_for(step)
        tmp = self.directory / f".{final.name}.tmp"
        with open(tmp, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._prune()
        return final

    def _prune(self):
        # only after a successful save, and a failed delete must not stop training
        for old in self.snapshots()[:-self.keep_last]:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("could not remove old snapshot %s: %s", old.name, exc)

    def snapshots(self):
        """Snapshot paths, oldest step first."""
        named = [(int(m.group(1)), p) for p in self.directory.iterdir()
                 if (m := SNAPSHOT.match(p.name))]
        return [p for _, p in sorted(named)]

    def newest_valid(self):
        """The newest snapshot that loads, skipping unreadable ones."""
        for path in reversed(self.snapshots()):
            try:
                return path, load_snapshot(path)
            except Exception as exc:  # a truncated or foreign file: fall back to an older one
                log.warning("skipping unreadable snapshot %s: %s", path.name, exc)
        return None, None


def load_snapshot(path):
    payload = torch.load(path, weights_only=False)
    missing = {"step", "model", "optimizer", "scheduler", "stream_rng", "torch_rng"} - set(payload)
    if missing:
        raise ValueError(f"missing keys {sorted(missing)}")
    return payload
