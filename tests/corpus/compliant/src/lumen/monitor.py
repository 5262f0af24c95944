"""progress.json and the heartbeat thread that keeps it fresh."""
import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ProgressFile:
    """The run's current state, rewritten in place (atomically) on every heartbeat."""

    def __init__(self, run_dir, max_steps):
        self.path = Path(run_dir) / "progress.json"
        self.beats = Path(run_dir) / "heartbeat.jsonl"
        self._lock = threading.Lock()
        self._fields = {"status": "starting", "step": 0, "max_steps": max_steps,
                        "pid": os.getpid(), "started_at": _now()}
        self._t0 = time.monotonic()
        self._first_step = None

    def update(self, **fields):
        with self._lock:
            self._fields.update(fields)
            if self._first_step is None and "step" in fields:
                self._first_step, self._t0 = fields["step"], time.monotonic()

    def beat(self):
        with self._lock:
            fields = dict(self._fields, heartbeat_at=_now())
            done = fields["step"] - (self._first_step or 0)
            elapsed = time.monotonic() - self._t0
            if done > 0 and elapsed > 0:
                rate = done / elapsed
                fields["steps_per_s"] = round(rate, 3)
                fields["eta_s"] = round((fields["max_steps"] - fields["step"]) / rate)
            tmp = self.path.with_name(".progress.json.tmp")
            tmp.write_text(json.dumps(fields, indent=2))
            os.replace(tmp, self.path)
            with open(self.beats, "a") as f:
                f.write(json.dumps({"t": fields["heartbeat_at"], "pid": fields["pid"],
                                    "step": fields["step"], "status": fields["status"]}) + "\n")


class Heartbeat(threading.Thread):
    """Ticks on its own clock, so a stuck batch still shows as a live process with a frozen step."""

    def __init__(self, progress, period_s):
        super().__init__(name="heartbeat", daemon=True)
        self.progress = progress
        self.period_s = period_s
        self._stopped = threading.Event()

    def run(self):
        self.progress.beat()
        while not self._stopped.wait(self.period_s):
            self.progress.beat()

    def stop(self):
        self._stopped.set()
        self.join(timeout=5)
