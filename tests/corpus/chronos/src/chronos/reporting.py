"""Structured logging and the background status writer."""
from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record; pass extra={"fields": {...}} to add keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(run_dir: Path, level: int = logging.INFO) -> None:
    root = logging.getLogger("chronos")
    root.setLevel(level)
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = JsonLinesFormatter()
    for handler in (logging.FileHandler(run_dir / "train.jsonl"), logging.StreamHandler()):
        handler.setFormatter(formatter)
        root.addHandler(handler)


class TrainingState:
    """What the training loop knows, shared with the reporter under a lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._values = {"state": "starting", "step": 0, "total_steps": None, "loss": None}

    def update(self, **values) -> None:
        with self._lock:
            self._values.update(values)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._values)


def write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as fh:
        json.dump(payload, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Reporter(threading.Thread):
    """Rewrites <run>/status.json and appends to <run>/heartbeat on a fixed period.

    Runs beside the training loop so the files keep moving even when a step hangs
    on the feed; the loop only updates the shared TrainingState.
    """

    def __init__(self, run_dir: Path, state: TrainingState, every: timedelta):
        super().__init__(name="chronos-reporter", daemon=True)
        self.run_dir = Path(run_dir)
        self.state = state
        self.every = every
        self._halt = threading.Event()

    def run(self) -> None:
        while True:
            self.write()
            if self._halt.wait(self.every.total_seconds()):
                return

    def write(self) -> None:
        snap = self.state.snapshot()
        snap["updated"] = utcnow()
        snap["pid"] = os.getpid()
        write_json_atomic(self.run_dir / "status.json", snap)
        with open(self.run_dir / "heartbeat", "a") as fh:
            fh.write(f"{snap['updated']} pid={snap['pid']} step={snap['step']}\n")

    def close(self) -> None:
        """Stop the thread and write the final state once more."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout=10)
        self.write()
