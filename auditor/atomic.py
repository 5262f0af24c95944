"""The auditor's one way to write a file: atomically, so a reader never sees half of it.

The bytes go to a temp file in the destination's folder, are flushed and fsynced, and the
temp file is renamed onto the final name (`os.replace`), then the folder is fsynced so the
rename survives a power cut. A failure removes the temp file and leaves the old file as it
was: nothing a user had is lost. Reports, drill results and TDD records all go through here.
"""

from __future__ import annotations

import os
from pathlib import Path

TMP_PREFIX = ".tmp-"


def create_temp(folder: str | os.PathLike[str], prefix: str) -> tuple[int, str]:
    """(descriptor, path) of a new file in `folder` only this user can read, as tempfile.mkstemp
    makes it: a random name created exclusively. Here rather than tempfile, whose import (shutil,
    bz2, lzma, random) was a hundredth of an audit of a small project that writes its cache."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {folder}")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a folder that cannot be opened for fsync (some network file systems): the rename stands
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8 with \\n line ends) in one step."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = create_temp(final.parent, f"{TMP_PREFIX}{final.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any file
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (the manifests' checksum)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
