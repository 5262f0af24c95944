"""Atomic file writes: a reader sees the old complete file or the new complete file, never a part.

Every writer here puts its bytes into a temp file in the destination's directory (name
prefix ``.tmp-``), flushes and fsyncs it, ``os.replace``-s it onto the final name and then
fsyncs the directory so that the rename itself survives a power cut. A writer that dies
midway leaves only a ``.tmp-*`` file behind (see ``CheckpointManager.clean_orphans``).

Public API (stable):

- ``TMP_PREFIX``: the temp-file name prefix, ``".tmp-"``.
- ``atomic_writer(path, mode="wb", before_replace=None)``: context manager yielding the
  temp file object; commits on a clean exit, removes the temp file on an exception.
  ``before_replace()`` runs once the temp file is complete and fsynced, just before the
  rename (e.g. to decommit what describes the old file: a write that fails never gets there).
- ``atomic_write_bytes(path, data)``, ``atomic_write_text(path, text)``,
  ``atomic_write_json(path, obj)``.
- ``atomic_torch_save(obj, path, before_replace=None) -> (size_bytes, sha256_hex)``:
  ``torch.save`` streamed into the temp file, hashing the bytes as they are written (one
  pass, no re-read).
- ``append_jsonl(path, obj)``: append one JSON object as one line, flushed and fsynced.
- ``fsync_dir(directory)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

TMP_PREFIX = ".tmp-"


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Fsync a directory so that a rename or create inside it is durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _mode_for(final: Path) -> int:
    """The replaced file's mode, or what ``open(path, "w")`` would create under the umask."""
    try:
        return final.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "wb",
                  before_replace: Callable[[], None] | None = None) -> Iterator[IO[Any]]:
    """Yield a temp file next to ``path``; on a clean exit it replaces ``path`` durably."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_writer mode must be 'wb' or 'w', not {mode!r}")
    final = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{final.name}.", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes 0600 files; give the result the mode a plain open() would
        os.fchmod(fd, _mode_for(final))
        encoding = "utf-8" if mode == "w" else None
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(final.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON (with a final newline) to ``path`` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


class _HashingWriter:
    """A write-only stream that hashes and counts the bytes it passes to a file."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.error: OSError | None = None
        """the first write error (a full disk): torch's zip writer hides it behind a RuntimeError"""

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        self.sha256.update(view)
        self.size += view.nbytes
        try:
            self._handle.write(view)
        except OSError as exc:
            self.error = self.error or exc
            raise
        return view.nbytes

    def flush(self) -> None:
        self._handle.flush()


def atomic_torch_save(obj: Any, path: str | os.PathLike[str],
                      before_replace: Callable[[], None] | None = None) -> tuple[int, str]:
    """``torch.save(obj)`` to ``path`` atomically; return ``(size_bytes, sha256_hex)``."""
    import torch

    with atomic_writer(path, "wb", before_replace) as handle:
        writer = _HashingWriter(handle)
        try:
            torch.save(obj, writer)
        except Exception as exc:
            # a failed write surfaces from torch.save as "RuntimeError: [enforce fail at
            # inline_container.cc] unexpected pos"; report the disk error that caused it
            err = writer.error
            if err is not None and exc is not err:
                raise OSError(err.errno, err.strerror, str(path)) from exc
            raise
    return writer.size, writer.sha256.hexdigest()


def append_jsonl(path: str | os.PathLike[str], obj: Any) -> None:
    """Append ``obj`` as one JSON line to ``path``, flushed and fsynced before returning."""
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (one hasher for trainer, drill and auditor)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
