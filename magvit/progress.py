"""Progress reporting: progress.json / PROGRESS.txt, the heartbeat thread, train.log, events.jsonl.

Public API (stable; the training loop builds on it):

``EventLog(run_dir)``
    ``RUN_DIR/events.jsonl``, append-only, one JSON object a line, fsynced per line,
    safe to call from several threads. ``emit(event, **fields) -> dict`` adds ``ts``
    (Unix time) and ``event`` and appends; ``read() -> list[dict]`` parses the file,
    ignoring a torn last line. ``read_events(path)`` does the same for any path.

``ProgressReporter(run_dir, *, stage, epochs, total_steps, heartbeat_interval_s=15.0,
log_every=10, events=None, stream=None, clock=time.time)``
    Owns ``progress.json`` (for programs), ``PROGRESS.txt`` (for people), ``train.log``
    and the heartbeat thread. Both progress files are rewritten atomically. ``epoch``
    arguments are the 0-based index of the epoch in progress (as in
    ``CheckpointManager.save``); the files show ``epoch + 1`` of ``epochs``.
    ``stream`` defaults to ``sys.stdout``; ``clock`` gives Unix time (tests).

    ``start() -> self``: writes both files (state ``running``) and starts the heartbeat,
        a daemon thread that every ``heartbeat_interval_s`` (0 < s <= 30) stamps
        ``heartbeat_time``, rewrites both files and appends a ``heartbeat`` event, even
        while one batch runs longer than that. Idempotent; ``update`` starts it too.
    ``should_log(step) -> bool``: ``step`` is a multiple of ``log_every``.
    ``update(*, step, epoch, batch=None, losses=None, throughput_clips_per_s=None,
        write=False)``: records the position after a batch; rewrites the files when
        ``write`` or when they are older than ``min(5, heartbeat_interval_s)`` seconds.
    ``log_batch(*, step, epoch, batch, losses, batches_per_epoch=None,
        throughput_clips_per_s=None, lr=None) -> str``: one batch line to ``train.log``
        (flushed) and to ``stream`` (with a bar when it is a TTY); returns the line.
    ``checkpoint_saved(manifest)``: records the last checkpoint (a ``Manifest`` or its
        dict) and rewrites the files.
    ``stop_heartbeat()``: stops and joins the heartbeat thread; once it returns no heartbeat
        is written or recorded, so the loop calls it before it records ``run_end``, which
        then is the session's last event.

    ``close(state="finished")``: stops and joins the heartbeat, writes the final state
        (``finished``, ``preempted`` or ``failed``), closes ``train.log``. Idempotent.
        It does not append ``run_end``: the training loop records that event.
    ``write() -> dict``: rewrites both files now and raises on failure; every other
        method turns a failed write (a full disk) into a logged warning, so progress
        reporting never stops training.
    Used as a context manager it starts on enter and closes on exit (``failed`` when an
    exception escapes, unless ``close`` was called already).

``train.log`` lines look like
``2026-11-28T21:30:00.123Z tokenizer epoch=2/5 batch=3/8 step=10/100 loss.train=0.25 clips_per_s=12.5``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from magvit.atomic import append_jsonl, atomic_write_json, atomic_write_text
from magvit.rundir import EVENTS_FILE, PROGRESS_FORMAT, PROGRESS_JSON, PROGRESS_TXT, TRAIN_LOG

log = logging.getLogger(__name__)

FINAL_STATES = ("finished", "preempted", "failed")
MAX_HEARTBEAT_S = 30.0
PROGRESS_FIELDS = (
    "format", "state", "pid", "stage", "epoch", "epochs", "step", "total_steps", "percent",
    "losses", "throughput_clips_per_s", "eta_s", "last_checkpoint", "updated_at",
    "updated_time", "heartbeat_time", "heartbeat_interval_s", "started_time",
)  # fmt: skip


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Parse an events.jsonl file; a torn or malformed line (a crash mid-append) is skipped."""
    events = []
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    with handle:
        for line in _bounded_lines(handle):
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


MAX_EVENT_LINE_CHARS = 64 * 1024


def _bounded_lines(handle: Any) -> Iterator[str]:
    """Lines of a text file, streamed; a line longer than MAX_EVENT_LINE_CHARS (never an event) is skipped."""
    while True:
        line = handle.readline(MAX_EVENT_LINE_CHARS)
        if not line:
            return
        if len(line) == MAX_EVENT_LINE_CHARS and not line.endswith("\n"):
            while len(line) == MAX_EVENT_LINE_CHARS and not line.endswith("\n"):
                line = handle.readline(MAX_EVENT_LINE_CHARS)
            continue
        yield line


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


def iso_utc(ts: float) -> str:
    """ISO 8601 UTC with a ``Z`` suffix, e.g. ``2026-11-28T21:30:00.123Z``."""
    moment = _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_duration(seconds: float | None) -> str:
    """``35s``, ``12m 05s``, ``3h 02m``; ``unknown`` for None."""
    if seconds is None or not math.isfinite(seconds):
        return "unknown"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _format_losses(losses: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.6g}" for name, value in losses.items()) or "none yet"


class ProgressReporter:
    """Progress files, batch log and heartbeat of one training session; see the module doc."""

    def __init__(
        self,
        run_dir: str | Path,
        *,
        stage: str,
        epochs: int,
        total_steps: int,
        heartbeat_interval_s: float = 15.0,
        log_every: int = 10,
        events: EventLog | None = None,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(heartbeat_interval_s, bool) or not isinstance(heartbeat_interval_s, (int, float)) or not (
            0 < heartbeat_interval_s <= MAX_HEARTBEAT_S
        ):
            raise ValueError(f"heartbeat_interval_s must be in (0, {MAX_HEARTBEAT_S:g}] seconds, not {heartbeat_interval_s!r}")
        if isinstance(log_every, bool) or not isinstance(log_every, int) or log_every < 1:
            raise ValueError(f"log_every must be an integer >= 1, not {log_every!r}")
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.stage = stage
        self.epochs = int(epochs)
        self.total_steps = int(total_steps)
        self.heartbeat_interval_s = float(heartbeat_interval_s)
        self.log_every = log_every
        self.events = events
        self._stream = stream if stream is not None else sys.stdout
        self._clock = clock
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log_handle: IO[str] | None = None
        self._closed = False
        self._write_every_s = min(5.0, self.heartbeat_interval_s)
        now = clock()
        self._state = "running"
        self._step = 0
        self._epoch = 0
        self._batch: int | None = None
        self._losses: dict[str, float] = {}
        self._throughput: float | None = None
        self._last_checkpoint: dict[str, Any] | None = None
        self._checkpoint_failures = 0
        self._last_checkpoint_error: dict[str, Any] | None = None
        self._started_time = now
        self._heartbeat_time = now
        self._last_write = -math.inf
        self._rate_origin: tuple[float, int] | None = None  # (time, step) of the first update
        self._last_update_time = now

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> ProgressReporter:
        """Write the files and start the heartbeat thread (once)."""
        with self._lock:
            if self._thread is not None or self._closed:
                return self
            self._heartbeat_time = self._clock()
            self._write_quietly()
            self._thread = threading.Thread(target=self._heartbeat, name="magvit-heartbeat", daemon=True)
            self._thread.start()
        return self

    def close(self, state: str = "finished") -> None:
        """Stop the heartbeat and write the final state; later calls do nothing."""
        if state not in FINAL_STATES:
            raise ValueError(f"progress state {state!r} must be one of {FINAL_STATES}")
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.stop_heartbeat()
        with self._lock:
            self._state = state
            self._write_quietly()
            if self._log_handle is not None:
                self._log_handle.close()
                self._log_handle = None

    def __enter__(self) -> ProgressReporter:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close("failed" if exc_type is not None else "finished")

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread: once this returns it writes and records nothing more, so that
        the ``run_end`` the loop records next is the session's last event. Later calls do nothing."""
        with self._lock:  # a tick checks the flag under the lock and records its event before releasing it
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 2 * self.heartbeat_interval_s))

    @property
    def heartbeat_alive(self) -> bool:
        """Whether the heartbeat thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_interval_s):
            try:
                with self._lock:
                    # the event too is recorded under the lock: a tick that began before
                    # stop_heartbeat() records before it returns, and none begins after
                    if self._closed or self._stop.is_set():
                        return
                    self._heartbeat_time = self._clock()
                    self.write()
                    if self.events is not None:
                        self.events.emit("heartbeat", step=self._step, heartbeat_interval_s=self.heartbeat_interval_s)
            except Exception as exc:  # noqa: BLE001 - the heartbeat must outlive one bad tick
                log.warning("heartbeat could not write progress: %s", exc)

    # --- per batch -----------------------------------------------------------------------

    def should_log(self, step: int) -> bool:
        """Whether ``step`` gets a batch line."""
        return step % self.log_every == 0

    def update(
        self,
        *,
        step: int,
        epoch: int,
        batch: int | None = None,
        losses: Mapping[str, float] | None = None,
        throughput_clips_per_s: float | None = None,
        write: bool = False,
    ) -> None:
        """Record the position after a batch; rewrite the files when due or asked."""
        if self._thread is None and not self._closed:
            self.start()
        with self._lock:
            now = self._clock()
            self._step, self._epoch, self._batch = int(step), int(epoch), batch
            if losses is not None:
                self._losses = {str(k): float(v) for k, v in losses.items()}
            if throughput_clips_per_s is not None:
                self._throughput = float(throughput_clips_per_s)
            if self._rate_origin is None:
                self._rate_origin = (now, self._step)
            self._last_update_time = now
            if write or now - self._last_write >= self._write_every_s:
                self._write_quietly()

    def log_batch(
        self,
        *,
        step: int,
        epoch: int,
        batch: int,
        losses: Mapping[str, float],
        batches_per_epoch: int | None = None,
        throughput_clips_per_s: float | None = None,
        lr: float | None = None,
    ) -> str:
        """Write one batch line to train.log and to the stream; return the line."""
        parts = [
            iso_utc(self._clock()),
            self.stage,
            f"epoch={epoch + 1}/{self.epochs}",
            f"batch={batch}" + (f"/{batches_per_epoch}" if batches_per_epoch else ""),
            f"step={step}/{self.total_steps}",
        ]
        parts += [f"loss.{name}={float(value):.6g}" for name, value in losses.items()]
        if lr is not None:
            parts.append(f"lr={lr:.3g}")
        if throughput_clips_per_s is not None:
            parts.append(f"clips_per_s={throughput_clips_per_s:.3g}")
        line = " ".join(parts)
        with self._lock:
            try:
                if self._log_handle is None:
                    self._log_handle = open(self.run_dir / TRAIN_LOG, "a", encoding="utf-8")
                self._log_handle.write(line + "\n")
                self._log_handle.flush()
            except OSError as exc:
                log.warning("could not write %s: %s", TRAIN_LOG, exc)
        shown = line
        if _is_tty(self._stream):
            shown = f"{_bar(self._percent(step))} {line}"
        print(shown, file=self._stream, flush=True)
        return line

    def checkpoint_saved(self, manifest: Any) -> None:
        """Record the newest checkpoint and rewrite the files."""
        data = manifest.to_dict() if hasattr(manifest, "to_dict") else dict(manifest)
        with self._lock:
            self._last_checkpoint = {
                "file": data["file"],
                "saved_at": data["saved_at"],
                "wall_time": data["wall_time"],
                "step": data["step"],
                "kind": data.get("kind"),
            }
            self._write_quietly()

    def checkpoint_failed(self, *, step: int, error: str) -> None:
        """Record a failed save (training goes on) and rewrite the files, so readers see it."""
        with self._lock:
            now = self._clock()
            self._checkpoint_failures += 1
            self._last_checkpoint_error = {"step": int(step), "error": str(error), "time": now, "at": iso_utc(now)}
            self._write_quietly()

    # --- files ---------------------------------------------------------------------------

    def _percent(self, step: int) -> float:
        if self.total_steps <= 0:
            return 0.0
        return round(min(100.0, 100.0 * step / self.total_steps), 2)

    def _eta(self) -> float | None:
        if self._state == "finished" or self._step >= self.total_steps > 0:
            return 0.0
        if self._rate_origin is None:
            return None
        origin_time, origin_step = self._rate_origin
        # the rate up to the last update: time since then is the batch in progress
        done, elapsed = self._step - origin_step, self._last_update_time - origin_time
        if done <= 0 or elapsed <= 0:
            return None
        return round((self.total_steps - self._step) * elapsed / done, 3)

    def snapshot(self) -> dict[str, Any]:
        """The progress.json content as of now."""
        with self._lock:
            now = self._clock()
            return {
                "format": PROGRESS_FORMAT,
                "state": self._state,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "stage": self.stage,
                "epoch": min(self._epoch + 1, self.epochs) if self.epochs else self._epoch + 1,
                "epochs": self.epochs,
                "batch": self._batch,
                "step": self._step,
                "total_steps": self.total_steps,
                "percent": self._percent(self._step),
                "losses": dict(self._losses),
                "throughput_clips_per_s": self._throughput,
                "eta_s": self._eta(),
                "last_checkpoint": dict(self._last_checkpoint) if self._last_checkpoint else None,
                "checkpoint_failures": self._checkpoint_failures,
                "last_checkpoint_error": dict(self._last_checkpoint_error) if self._last_checkpoint_error else None,
                "updated_at": iso_utc(now),
                "updated_time": now,
                "heartbeat_time": self._heartbeat_time,
                "heartbeat_interval_s": self.heartbeat_interval_s,
                "started_time": self._started_time,
            }

    def write(self) -> dict[str, Any]:
        """Rewrite progress.json and PROGRESS.txt atomically now; return the JSON content."""
        with self._lock:
            data = self.snapshot()
            atomic_write_json(self.run_dir / PROGRESS_JSON, data)
            atomic_write_text(self.run_dir / PROGRESS_TXT, render_progress_text(data, now=data["updated_time"]))
            self._last_write = data["updated_time"]
        return data


    def _write_quietly(self) -> None:
        """``write()``, but a failure (a full disk) is a warning: training must not stop for it."""
        try:
            self.write()
        except OSError as exc:
            log.warning("could not write progress files in %s: %s", self.run_dir, exc)


def render_progress_text(data: Mapping[str, Any], *, now: float) -> str:
    """PROGRESS.txt: the facts of progress.json as lines a person reads."""
    lines = [
        f"MAGVIT training, stage {data.get('stage')}",
        f"State: {data.get('state')}",
        f"Epoch {data.get('epoch')}/{data.get('epochs')}",
        f"Step {data.get('step')}/{data.get('total_steps')} ({float(data.get('percent') or 0):.1f}%)",
        f"Losses: {_format_losses(data.get('losses') or {})}",
    ]
    throughput = data.get("throughput_clips_per_s")
    lines.append(f"Throughput: {throughput:.1f} clips/s" if throughput is not None else "Throughput: unknown")
    lines.append(f"ETA: {format_duration(data.get('eta_s'))}")
    ckpt = data.get("last_checkpoint")
    if ckpt:
        age = format_duration(now - float(ckpt["wall_time"]))
        lines.append(f"Last checkpoint: {ckpt['file']} (step {ckpt['step']}, saved {ckpt['saved_at']}, {age} ago)")
    else:
        lines.append("Last checkpoint: none yet")
    failure = data.get("last_checkpoint_error")
    if isinstance(failure, Mapping):
        lines.append(f"WARNING: checkpoint save FAILED at step {failure.get('step')} ({failure.get('at')}): "
                     f"{failure.get('error')} [{data.get('checkpoint_failures')} failure(s) this session]")
    lines.append(
        f"Heartbeat: {iso_utc(float(data['heartbeat_time']))} (every {float(data['heartbeat_interval_s']):g}s)"
    )
    lines.append(f"Process: pid {data.get('pid')} on {data.get('host')}")
    lines.append(f"Updated: {data.get('updated_at')}")
    return "\n".join(lines) + "\n"


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _bar(percent: float, width: int = 20) -> str:
    filled = int(round(width * percent / 100.0))
    return f"[{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}%"
