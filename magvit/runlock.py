"""The run directory's lock: one training job owns a run directory at a time.

``RUN_DIR/trainer.lock`` is locked with ``fcntl.flock`` (exclusive) for the whole session and
records who holds it (docs/run-directory.md, "The lock"). The kernel drops a flock when the
last descriptor of the holder's open file goes away, so a holder that dies, however it dies
(SIGKILL, OOM killer, a power cut of a node), leaves no lock behind, only its record: the next
taker reads that record and says it took over from a dead process. The descriptor is
close-on-exec, so a child the trainer starts cannot keep the lock alive after it.

The file is never removed or replaced: a flock belongs to an inode, and a lock file unlinked
by its releaser lets a waiter and a newcomer lock two different inodes at once. The record
is rewritten in place (truncate, write, fsync) on the locked descriptor.

A taker whose lock is held waits up to ``wait_s`` seconds, polling, before it gives up with
RunLockedError: a scheduler that relaunches a job as soon as it sends the old process a
signal then gets its relaunch once the old process is gone, instead of a failure.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from magvit.rundir import LOCK_FILE, LOCK_FORMAT

DEFAULT_WAIT_S = 5.0
"""How long a taker waits for a held lock by default: enough for a killed holder to finish dying."""
_POLL_S = 0.05
_MAX_RECORD_BYTES = 4096


class RunLockError(Exception):
    """The lock file cannot be created or locked (a read-only run directory, no locking on this file system)."""


class RunLockedError(RunLockError):
    """Another live process holds the run directory's lock."""

    def __init__(self, message: str, holder: LockHolder | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockHolder:
    """Who holds, or last held, a run directory's lock, as its record says."""

    pid: int
    host: str
    started_time: float
    state: str
    """``held`` while the holder lives (or when it died holding it), ``released`` after a clean end."""
    world_size: int = 1

    def describe(self) -> str:
        started = datetime.fromtimestamp(self.started_time, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        job = f", rank 0 of a {self.world_size}-process torchrun job" if self.world_size > 1 else ""
        return f"pid {self.pid} on host {self.host}{job}, started {started}"

    @classmethod
    def from_record(cls, data: Any) -> LockHolder | None:
        """The holder in a parsed record; None when the record is not one of ours."""
        if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
            return None
        pid, host, started, state = data.get("pid"), data.get("host"), data.get("started_time"), data.get("state")
        world = data.get("world_size", 1)
        if not (_is_int(pid) and isinstance(host, str) and _is_int(world) and state in ("held", "released")
                and isinstance(started, (int, float)) and not isinstance(started, bool)):
            return None
        return cls(pid, host, float(started), state, world)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _read_record(fd: int) -> LockHolder | None:
    """The record in the open lock file; None when it is empty, half-written or not ours."""
    try:
        raw = os.pread(fd, _MAX_RECORD_BYTES, 0)
        return LockHolder.from_record(json.loads(raw.decode("utf-8")))
    except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


class RunLock:
    """The exclusive lock on one run directory, held from ``acquire`` to ``release``."""

    def __init__(self, run_dir: str | Path, *, wait_s: float = DEFAULT_WAIT_S, world_size: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.wait_s = max(0.0, float(wait_s))
        self.world_size = world_size
        self._clock = clock
        self._fd: int | None = None
        self._started = 0.0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, on_wait: Callable[[LockHolder | None], None] | None = None) -> LockHolder | None:
        """Take the lock, waiting up to ``wait_s`` for a holder to go; RunLockedError when it stays.

        Returns the previous holder when it died holding the lock (taken over), else None.
        ``on_wait(holder)`` is called once if the lock is busy at the first try.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this process")
        deadline = self._clock() + self.wait_s
        told = False
        while True:
            fd = self._open()
            if self._try_lock(fd):
                if self._same_file(fd):
                    break
                os.close(fd)  # the file was replaced while we waited: lock the one at the path now
                continue
            holder = _read_record(fd)
            os.close(fd)
            if self._clock() >= deadline:
                raise RunLockedError(self._refusal(holder), holder)
            if not told and on_wait is not None:
                on_wait(holder)
            told = True
            time.sleep(_POLL_S)
        previous = _read_record(fd)
        self._fd = fd
        try:
            self._write_record("held", started=time.time())
        except OSError as exc:
            self.release()
            raise RunLockError(f"cannot write the lock file {self.path}: {exc.strerror or exc}") from exc
        return previous if previous is not None and previous.state == "held" else None

    def release(self) -> None:
        """Record the clean end and drop the lock; a second call does nothing."""
        if self._fd is None:
            return
        try:
            self._write_record("released", started=self._started)
        except OSError:
            pass  # a full disk must not keep the lock: the kernel drops it below either way
        finally:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor drops the flock

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_: Any) -> None:
        self.release()

    # --- internals ------------------------------------------------------------------------

    def _open(self) -> int:
        try:
            # os.open descriptors are non-inheritable (PEP 446); O_CLOEXEC says so for exec too
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            hint = {errno.EACCES: "no permission to write there", errno.EROFS: "the file system is read-only",
                    errno.ENOENT: "the run directory does not exist"}.get(exc.errno or 0)
            raise RunLockError(f"cannot create the lock file {self.path}: {exc.strerror or exc}"
                               + (f" ({hint})" if hint else "")) from exc

    def _try_lock(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # ENOLCK: a file system without locks
            os.close(fd)
            raise RunLockError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        return True

    def _same_file(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _write_record(self, state: str, *, started: float) -> None:
        assert self._fd is not None
        self._started = started
        record = {"format": LOCK_FORMAT, "state": state, "pid": os.getpid(), "host": socket.gethostname(),
                  "started_time": started, "started_at": _iso(started), "world_size": self.world_size}
        if state == "released":
            now = time.time()
            record.update(released_time=now, released_at=_iso(now))
        data = (json.dumps(record) + "\n").encode("utf-8")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def _refusal(self, holder: LockHolder | None) -> str:
        who = holder.describe() if holder is not None else "a process whose lock record could not be read"
        return (f"run directory {self.run_dir} is in use: {who} holds {self.path.name} (another `magvit train` "
                f"on this run directory; waited {self.wait_s:g} s for it to end). Stop that process first, "
                "or pick another --run-dir.")
