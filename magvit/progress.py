"""Progress reporting: progress.json / PROGRESS.txt, the heartbeat thread, train.log, events.jsonl.

Public API (stable; the training loop builds on it):

``EventLog(run_dir)``
    ``RUN_DIR/events.jsonl``, append-only, one JSON object a line, fsynced per line,
    safe to call from several threads. ``emit(event, **fields) -> dict`` adds ``ts``
    (Unix time) and ``event`` and appends; ``read() -> list[dict]`` parses the file,
    ignoring a torn last line. ``read_events(path)`` does the same for any path.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from magvit.atomic import append_jsonl

EVENTS_FILE = "events.jsonl"


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Parse an events.jsonl file; a torn or malformed line (a crash mid-append) is skipped."""
    events = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "event" in obj:
            events.append(obj)
    return events


class EventLog:
    """The run's append-only audit trail, ``events.jsonl``."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / EVENTS_FILE
        self._lock = threading.Lock()

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append ``{"ts": now, "event": event, **fields}`` and return it."""
        record = {"ts": time.time(), "event": event, **fields}
        with self._lock:
            append_jsonl(self.path, record)
        return record

    def read(self) -> list[dict[str, Any]]:
        """Every event recorded so far, oldest first."""
        return read_events(self.path)
