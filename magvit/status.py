"""`magvit status RUN_DIR`: what a run is doing, read from its files alone.

Reads ``progress.json``, ``events.jsonl`` and the checkpoint manifests; never loads a
tensor and never writes. The verdict:

- ``finished`` / ``preempted`` / ``failed``: a ``run_end`` event follows the last
  ``run_start``, or else progress.json carries that state;
- ``running``: the trainer's pid exists (when the run is on this host) and the heartbeat
  is at most 3 heartbeat intervals old;
- ``stalled``: the heartbeat is older than that, or the pid is gone without a ``run_end``.

A progress.json written before the last ``run_start`` belongs to an earlier session; then
the pid comes from ``run_start`` and the heartbeat clock starts at that event.

Public API: ``read_status(run_dir, *, now=None) -> RunStatus`` (raises
``NotARunDirError``), ``render_text(status) -> str``, ``RunStatus.to_dict()``,
``EXIT_CODES`` (state -> exit code) and ``NOT_A_RUN_DIR`` (2).
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import safeio  # the bounded, confined reader (magvit may use it; the auditor never imports magvit)
from magvit.progress import FINAL_STATES, format_duration, iso_utc
from magvit.rundir import CHECKPOINTS_DIR, EVENTS_FILE, PROGRESS_JSON

EXIT_CODES = {"finished": 0, "running": 10, "stalled": 11, "preempted": 12, "failed": 13}
NOT_A_RUN_DIR = 2
STALE_FACTOR = 3.0
DEFAULT_HEARTBEAT_S = 15.0
MAX_PROGRESS_BYTES = 4 * 1024 * 1024  # progress.json is a few hundred bytes; a huge one is not read
MAX_MANIFEST_BYTES = 1024 * 1024  # a manifest is under a kilobyte; a 1 GB one is refused unread
EVENTS_TAIL_BYTES = 8 * 1024 * 1024  # the end of events.jsonl that a verdict reads


class NotARunDirError(Exception):
    """The path is not a readable run directory; the message names it and says why."""


@dataclass(frozen=True)
class RunStatus:
    """The verdict on a run directory and the facts behind it."""

    run_dir: str
    state: str
    exit_code: int
    reason: str
    stage: str | None
    epoch: int | None
    epochs: int | None
    step: int | None
    total_steps: int | None
    percent: float | None
    losses: dict[str, float]
    throughput_clips_per_s: float | None
    eta_s: float | None
    pid: int | None
    host: str | None
    pid_alive: bool | None
    heartbeat_time: float | None
    heartbeat_age_s: float | None
    heartbeat_interval_s: float
    updated_at: str | None
    last_checkpoint: dict[str, Any] | None
    checkpoint_age_s: float | None
    checkpoints: int
    now: float
    ranks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """Distributed runs: each rank's heartbeat file of this session (heartbeats/rank-<r>.json), by rank."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # OverflowError: no pid is that large
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # the state letter follows the parenthesised command name
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _read_progress(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / PROGRESS_JSON
    try:
        data = safeio.read_json(path, within=safeio.run_directory(run_dir), cap=MAX_PROGRESS_BYTES, shown=str(path))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except safeio.READ_ERRORS as exc:  # a link out, a FIFO, random bytes, deep JSON: a clear exit 2
        raise NotARunDirError(safeio.describe(exc, str(path))) from None
    if not isinstance(data, dict):
        raise NotARunDirError(f"{path}: not a JSON object")
    for name, kinds in _PROGRESS_TYPES.items():
        value = data.get(name)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)
                                  or (isinstance(value, float) and not math.isfinite(value))):
            raise NotARunDirError(f"{path}: field {name!r} has an invalid value {value!r}")
    return data


# progress.json fields the verdict computes with, and the types they must have when present
_PROGRESS_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("updated_time", "heartbeat_time", "heartbeat_interval_s", "started_time", "percent", "eta_s",
                     "throughput_clips_per_s"), (int, float)),
    **dict.fromkeys(("pid", "epoch", "epochs", "step", "total_steps", "batch"), (int,)),
    **dict.fromkeys(("losses", "last_checkpoint"), (dict,)),
    **dict.fromkeys(("state", "host", "stage", "updated_at"), (str,)),
}


def _read_events(run_dir: Path) -> list[dict[str, Any]]:
    """The events of the last EVENTS_TAIL_BYTES of events.jsonl (a verdict needs the last session,
    not a 10 GB history), through auditor.safeio: a link out or a FIFO is a clear exit 2."""
    path = run_dir / EVENTS_FILE
    try:
        _cut, lines = safeio.tail_lines(path, within=safeio.run_directory(run_dir), cap=EVENTS_TAIL_BYTES,
                                        shown=str(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except safeio.READ_ERRORS as exc:
        raise NotARunDirError(safeio.describe(exc, str(path))) from None
    events = []
    for line in lines:
        try:
            obj = safeio.parse_json(line, shown=EVENTS_FILE)
        except safeio.ReadRefused:
            continue  # a torn or hostile line
        if isinstance(obj, dict) and "event" in obj:
            events.append(obj)
    return events


def _number(value: Any) -> float | None:
    """A finite number from an event field, else None (a hand-edited or foreign line)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _checkpoint_manifests(run_dir: Path) -> list[dict[str, Any]]:
    """Parsed manifests with a ``size_ok`` flag (file size matches; no hashing, no loading)."""
    found = []
    directory = run_dir / CHECKPOINTS_DIR
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith(".tmp-"):
            continue
        try:
            data = safeio.read_json(path, within=safeio.run_directory(run_dir), cap=MAX_MANIFEST_BYTES)
            pt = directory / str(data["file"])
            step, wall = int(data["step"]), float(data["wall_time"])
            saved_at = data.get("saved_at") or iso_utc(wall)  # ValueError for a time no calendar holds
        except (KeyError, TypeError, OverflowError, ValueError, *safeio.READ_ERRORS):  # OverflowError: int(Infinity)
            continue
        try:
            size_ok = safeio.stat_file(pt, safeio.run_directory(run_dir)).st_size == data.get("size_bytes")
        except (OSError, ValueError):
            size_ok = False
        found.append({
            "file": pt.name, "kind": data.get("kind"), "step": step, "wall_time": wall,
            "saved_at": saved_at, "size_ok": size_ok,
        })  # fmt: skip
    return found


def _rank_heartbeats(run_dir: Path, since: float, now: float) -> list[dict[str, Any]]:
    """The per-rank heartbeat files written since `since` (older ones belong to an earlier session)."""
    ranks = []
    for path in sorted((run_dir / "heartbeats").glob("rank-*.json")):
        try:
            data = safeio.read_json(path, within=safeio.run_directory(run_dir), cap=MAX_MANIFEST_BYTES)
            rank, pid, beat = int(data["rank"]), int(data["pid"]), float(data["heartbeat_time"])
            interval = float(data.get("heartbeat_interval_s") or DEFAULT_HEARTBEAT_S)
        except (KeyError, TypeError, OverflowError, ValueError, *safeio.READ_ERRORS):
            continue
        if not (math.isfinite(beat) and math.isfinite(interval)) or beat < since:
            continue
        local = data.get("host") in (None, socket.gethostname())
        age = max(0.0, now - beat)
        ranks.append({"rank": rank, "pid": pid, "host": data.get("host"), "state": data.get("state"),
                      "step": data.get("step"), "heartbeat_age_s": age,
                      "fresh": age <= STALE_FACTOR * interval, "pid_alive": pid_alive(pid) if local else None})
    return sorted(ranks, key=lambda r: r["rank"])


def _lagging_rank(ranks: list[dict[str, Any]]) -> str | None:
    """Why a rank that should be running is not (a stale heartbeat or a dead pid), or None."""
    for r in ranks:
        if r["state"] != "running":
            continue
        if r["pid_alive"] is False:
            return f"rank {r['rank']} (pid {r['pid']}) is not running"
        if not r["fresh"]:
            return (f"rank {r['rank']} (pid {r['pid']}): last heartbeat {format_duration(r['heartbeat_age_s'])} "
                    f"ago, more than {STALE_FACTOR:g} intervals; the other ranks wait for it")
    return None


def read_status(run_dir: str | Path, *, now: float | None = None) -> RunStatus:
    """Read a run directory and decide whether it runs, stalled or ended."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        why = "it does not exist" if not run_dir.exists() else "it is not a directory"
        raise NotARunDirError(f"{run_dir} is not a run directory: {why}")
    where = run_dir.absolute()  # auditor.safeio takes a relative path as relative to the run directory itself
    progress = _read_progress(where)
    events = _read_events(where)
    manifests = _checkpoint_manifests(where)
    if progress is None and not events and not manifests:
        raise NotARunDirError(f"{run_dir} is not a run directory: no {PROGRESS_JSON}, {EVENTS_FILE} or checkpoints")
    now = time.time() if now is None else now
    progress = progress or {}

    starts = [i for i, e in enumerate(events) if e.get("event") == "run_start"]
    last_start = events[starts[-1]] if starts else None
    session = events[starts[-1]:] if starts else events
    run_end = next((e for e in reversed(session) if e.get("event") == "run_end"), None)
    beats = [t for e in session if e.get("event") in ("heartbeat", "run_start") and (t := _number(e.get("ts"))) is not None]
    # progress.json older than the last run_start belongs to an earlier session: the new
    # one has not written it yet, so its pid, heartbeat and state say nothing about now
    current = bool(progress) and (
        last_start is None or float(progress.get("updated_time") or 0) >= (_number(last_start.get("ts")) or 0)
    )

    pid = progress.get("pid") if current else None
    if pid is None and last_start is not None:
        pid = last_start.get("pid") if type(last_start.get("pid")) is int else None
    host = progress.get("host") if current else None
    local = host is None or host == socket.gethostname()
    alive = pid_alive(int(pid)) if (pid is not None and local) else None
    interval = float(progress.get("heartbeat_interval_s") or DEFAULT_HEARTBEAT_S)
    heartbeat_candidates = [t for t in (progress.get("heartbeat_time") if current else None, *beats[-1:]) if t is not None]
    heartbeat = max(heartbeat_candidates) if heartbeat_candidates else None
    heartbeat_age = None if heartbeat is None else max(0.0, now - float(heartbeat))
    ranks = _rank_heartbeats(where, (_number(last_start.get("ts")) or 0.0) if last_start else 0.0, now)
    lagging = _lagging_rank(ranks)

    state, reason = _state(run_end, progress if current else {}, alive, pid, host, heartbeat_age, interval, lagging)

    last = _last_checkpoint(manifests, progress)
    wall = None if last is None else _number(last.get("wall_time"))
    checkpoint_age = None if wall is None else max(0.0, now - wall)

    return RunStatus(
        run_dir=str(run_dir),
        state=state,
        exit_code=EXIT_CODES[state],
        reason=reason,
        stage=progress.get("stage"),
        epoch=progress.get("epoch"),
        epochs=progress.get("epochs"),
        step=progress.get("step"),
        total_steps=progress.get("total_steps"),
        percent=progress.get("percent"),
        losses=dict(progress.get("losses") or {}),
        throughput_clips_per_s=progress.get("throughput_clips_per_s"),
        eta_s=progress.get("eta_s"),
        pid=pid,
        host=host,
        pid_alive=alive,
        heartbeat_time=heartbeat,
        heartbeat_age_s=heartbeat_age,
        heartbeat_interval_s=interval,
        updated_at=progress.get("updated_at"),
        last_checkpoint=last,
        checkpoint_age_s=checkpoint_age,
        checkpoints=len(manifests),
        now=now,
        ranks=ranks,
    )


def _state(run_end: dict | None, progress: dict, alive: bool | None, pid: Any, host: Any,
           heartbeat_age: float | None, interval: float, lagging: str | None) -> tuple[str, str]:
    """The run's state and why: a recorded end first, then the process, then the heartbeats.
    `progress` is the current session's progress.json ({} when it belongs to an earlier one)."""
    if run_end is not None and run_end.get("status") in FINAL_STATES:
        state, reason = run_end["status"], f"run_end event: {run_end['status']} at step {run_end.get('step')}"
    elif progress.get("state") in FINAL_STATES:
        state, reason = progress["state"], f"progress.json state: {progress['state']}"
    elif alive is False:
        state, reason = "stalled", f"pid {pid} is not running and no run_end was recorded"
    elif heartbeat_age is None:
        state, reason = "stalled", "no heartbeat recorded"
    elif heartbeat_age > STALE_FACTOR * interval:
        state = "stalled"
        reason = f"last heartbeat {format_duration(heartbeat_age)} ago, more than {STALE_FACTOR:g} x {interval:g}s"
    elif lagging is not None:
        state, reason = "stalled", lagging
    else:
        state = "running"
        where = f"pid {pid} alive" if alive else f"pid {pid} on {host} (not checked here)"
        reason = f"{where}, heartbeat {format_duration(heartbeat_age)} ago"
    return state, reason


def _last_checkpoint(manifests: list[dict], progress: dict) -> dict | None:
    """The newest resumable checkpoint's manifest (best.pt only when nothing else), else progress.json's."""
    resumable = [m for m in manifests if m["kind"] != "best"] or manifests
    last = max(resumable, key=lambda m: (m["step"], m["wall_time"]), default=None)
    if last is None and progress.get("last_checkpoint"):
        last = dict(progress["last_checkpoint"])
    return last


def render_text(status: RunStatus) -> str:
    """The report a person reads."""
    lines = [f"Run: {status.run_dir}", f"State: {status.state} ({status.reason})"]
    if status.stage is not None:
        lines.append(f"Stage: {status.stage}")
    if status.step is not None:
        lines.append(f"Epoch {status.epoch}/{status.epochs}")
        lines.append(f"Step {status.step}/{status.total_steps} ({float(status.percent or 0):.1f}%)")
    if status.losses:
        lines.append("Losses: " + ", ".join(f"{k} {v:.6g}" if _number(v) is not None else f"{k} {v!r}"
                                            for k, v in status.losses.items()))
    if status.throughput_clips_per_s is not None:
        lines.append(f"Throughput: {status.throughput_clips_per_s:.1f} clips/s")
    if status.state == "running":
        lines.append(f"ETA: {format_duration(status.eta_s)}")
    ckpt = status.last_checkpoint
    if ckpt:
        flag = "" if ckpt.get("size_ok", True) else " [size does not match its manifest]"
        lines.append(
            f"Last checkpoint: {ckpt.get('file')} ({ckpt.get('kind') or 'checkpoint'}, step {ckpt.get('step')}), "
            f"saved {ckpt.get('saved_at')}, {format_duration(status.checkpoint_age_s)} ago{flag}"
        )
    else:
        lines.append("Last checkpoint: none")
    lines.append(f"Checkpoints with a manifest: {status.checkpoints}")
    if status.heartbeat_age_s is not None:
        lines.append(
            f"Heartbeat: {format_duration(status.heartbeat_age_s)} ago (every {status.heartbeat_interval_s:g}s)"
        )
    if status.pid is not None:
        alive = {True: "alive", False: "not running", None: "not checked (another host)"}[status.pid_alive]
        lines.append(f"Process: pid {status.pid}" + (f" on {status.host}" if status.host else "") + f", {alive}")
    if status.ranks:
        lines.append("Ranks: " + "; ".join(
            f"{r['rank']} pid {r['pid']} step {r['step']} heartbeat {format_duration(r['heartbeat_age_s'])} ago"
            + ("" if r["fresh"] or r["state"] != "running" else " (STALE)") for r in status.ranks))
    if status.updated_at:
        lines.append(f"Updated: {status.updated_at}")
    return safeio.visible("\n".join(lines))  # no escape sequence from the run's files reaches the terminal
