"""A cache of the columns that are pure functions of the files they read: code and tests.

Most of an audit of a large project is parsing and judging its sources and tests, and most
audits follow one that read the same files. As linters do, the result is kept between audits,
but only where it cannot be stale, because a stale ✅ would be a false one:

- the entry's name hashes the auditor's own source, the Python version, the column and what the
  caller says the column depends on besides file contents (the configuration, the listing);
- the entry lists every `safeio.read_text` the column made (safeio tells its listeners) with the
  sha256 of the text, or the error it met; the entry is used only when each read, made again
  (`safeio.replay`), gives the same. A column that read any other way (a stat, a JSON read)
  is not kept at all;
- an entry that cannot be read, parsed or decoded (auditor.evcodec) is computed again and replaced.

Entries live in $AUDIT_CACHE_DIR, else $XDG_CACHE_HOME/magvit-audit, else ~/.cache/magvit-audit,
never inside the audited project (nothing is written there, and nothing there is trusted), and
only in a folder of the user's own that nobody else can write to.
AUDIT_NO_CACHE=1 (`audit check --no-cache`) turns the cache off. Writes are atomic; entries
another auditor wrote (an earlier version, another install) go at a write once a day old, and
this auditor's oldest when there are more than MAX_ENTRIES.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

from auditor import evcodec, safeio
from auditor.atomic import create_temp

FORMAT = 1
MAX_ENTRIES = 64  # a large project's two entries are a few MB
OTHERS_KEPT_S = 24 * 3600  # another auditor's entries, kept for the install that wrote them
ENTRY_CAP = 256 * 1024 * 1024  # bytes of one entry
AUDITOR = Path(__file__).resolve().parent

T = TypeVar("T")
_fingerprint: list[str] = []


def enabled() -> bool:
    return os.environ.get("AUDIT_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    named = os.environ.get("AUDIT_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "magvit-audit"


_session: list[Path | None] = [None]  # the folder of the command this process runs (open_session)


def open_session(project: Path | str) -> None:
    """Note the cache folder, if it is usable for `project`, for what this process keeps besides
    the columns (auditor.rxcache, auditor.schemacache); a command that audits a project opens it."""
    _session[0] = _usable_folder(Path(project))


def session_folder() -> Path | None:
    """The folder open_session found usable; None when none was opened, or the cache is off since."""
    return _session[0] if enabled() else None


def fingerprint() -> str:
    """sha256 of the auditor's own Python source, the Python version (its `ast`) and PyYAML's (the
    configuration files the code column reads): a changed auditor reads afresh."""
    if not _fingerprint:
        import yaml

        digest = hashlib.sha256(f"{sys.version}\0{yaml.__version__}".encode())
        for path in sorted(AUDITOR.rglob("*.py")):
            digest.update(path.relative_to(AUDITOR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _fingerprint.append(digest.hexdigest())
    return _fingerprint[0]


def column(kind: str, root: Path, depends_on: Any, compute: Callable[[], T]) -> T:
    """compute(), or the value an earlier audit computed from the same reads.

    `depends_on` is everything besides file contents that compute()'s result depends on
    (configuration, the files listed), as values auditor.evcodec.key_of can write.
    """
    entry = _entry(kind, root, depends_on)
    if entry is None:
        return compute()
    kept = _load(entry)
    if kept is not None:
        return kept
    recorder = _Recorder()
    with safeio.listening(recorder):
        value = compute()
    if not recorder.tainted:
        _store(entry, recorder.reads, value)
    return value


def _entry(kind: str, root: Path, depends_on: Any) -> Path | None:
    """The entry of this column, project and dependencies; None when there must be no cache."""
    folder = _usable_folder(root)
    if folder is None:
        return None
    try:
        key = hashlib.sha256(json.dumps([FORMAT, fingerprint(), kind, str(root),
                                         evcodec.key_of(depends_on)]).encode()).hexdigest()
    except (evcodec.CodecError, OSError, ValueError):
        return None
    return folder / f"{kind}-{fingerprint()[:16]}-{key}.json"  # the auditor's in the name: see _prune


def file_index(kind: str, root: Path, depends_on: Any) -> FileIndex:
    """The records a column kept file by file at its last audit (none when the cache is off).

    `depends_on` is everything besides the files' contents that a record depends on; a record
    holds what its caller needs to tell whether it still holds (the sha256 of its file, ...)."""
    entry = _entry(kind, root, depends_on)
    if entry is None:
        return FileIndex(None, {})
    try:
        data = read_private(entry)
        records = evcodec.decode(data["records"]) if data.__class__ is dict and data.get("format") == FORMAT else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        records = None  # absent, refused, not JSON, or not the codec's: every file is read afresh
    if records.__class__ is not dict:
        return FileIndex(entry, {}, changed=True)  # written at the end of this audit, even with no files
    return FileIndex(entry, records)


class FileIndex:
    """A column's records by file (a path relative to the project), kept between audits."""

    def __init__(self, entry: Path | None, records: dict[str, Any], changed: bool = False) -> None:
        self._entry, self._records, self._changed = entry, records, changed

    def get(self, rel: str) -> Any | None:
        return self._records.get(rel)

    def put(self, rel: str, record: Any) -> None:
        self._records[rel] = record
        self._changed = True

    def save(self, listed: list[str]) -> None:
        """Keep the records of the files listed now (those of files gone since go with them)."""
        kept = {rel: self._records[rel] for rel in listed if rel in self._records}
        if self._entry is not None and (self._changed or len(kept) != len(self._records)):
            _write(self._entry, lambda: {"format": FORMAT, "records": evcodec.encode(kept)})


class _Recorder:
    """The read_text calls a column makes (auditor.safeio tells it), each with its outcome."""

    def __init__(self) -> None:
        self.reads: dict[tuple, str] = {}
        self.tainted = False  # it read some other way: the reads do not tell all it read

    def heard(self, call: tuple, outcome: str) -> None:
        if self.reads.setdefault(call, outcome) != outcome:  # changed between two reads
            self.tainted = True

    def taint(self) -> None:
        self.tainted = True


def _usable_folder(root: Path) -> Path | None:
    """The cache folder, made private if new; None when there must be no cache: turned off, the
    audited project's own files (never written, never trusted), or a folder someone else could
    write entries into (not ours, or writable by group or others, as ssh refuses such keys)."""
    if not enabled():
        return None
    folder = cache_dir()
    real, project = os.path.realpath(folder), os.path.realpath(root)
    if safeio.is_inside(real, project) or safeio.is_inside(project, real):
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(real)
    except OSError:
        return None
    if not _private(st):
        return None
    return folder


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def read_private(file: Path, cap: int = ENTRY_CAP) -> Any:
    """The JSON data of a file in the cache folder that nobody else could have written (OSError,
    ValueError or RecursionError when it is not private, absent, or not JSON)."""
    # our own file, not the project's: json's own recursion limit and evcodec's MAX_DEPTH bound
    # its nesting (safeio.parse_json's walk of every value would cost a third of a warm audit)
    if not _private(os.lstat(file)):
        raise PermissionError(f"{file}: others could have written it")
    return json.loads(safeio.read_bytes(file, within=None, cap=cap))


def write_private(file: Path, text: str) -> None:
    """Replace `file` in the cache folder with `text` in one step, private (OSError when it cannot)."""
    fd, tmp = create_temp(file.parent, ".entry-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, file)
    except BaseException:
        os.unlink(tmp)
        raise


def _load(entry: Path) -> Any | None:
    """The value of a sound, current entry; None when there is none, or it is stale or broken."""
    try:
        data = read_private(entry)
        if data.__class__ is not dict or data.get("format") != FORMAT or data.get("reads").__class__ is not list:
            return None
        if any(safeio.replay(call) != outcome for call, outcome in data["reads"]):
            return None
        return evcodec.decode(data["value"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None  # absent, refused (ReadRefused), not JSON, not the codec's (CodecError), or malformed


def _store(entry: Path, reads: dict[tuple, str], value: Any) -> None:
    _write(entry, lambda: {"format": FORMAT, "reads": [[list(call), outcome] for call, outcome in reads.items()],
                           "value": evcodec.encode(value)})


def _write(entry: Path, data: Callable[[], Any]) -> None:
    try:
        write_private(entry, json.dumps(data(), check_circular=False))  # codec output: fresh, acyclic, depth-bounded
        _prune(entry.parent)
    except (OSError, evcodec.CodecError):
        return  # no cache this time: the audit itself is unaffected


def _prune(folder: Path) -> None:
    """Entries another auditor wrote go once they are a day old (no audit of this one can use
    them, but another install sharing the folder, a pre-commit hook's environment, may), then
    this auditor's oldest beyond MAX_ENTRIES."""
    ours = f"-{fingerprint()[:16]}-"
    entries = list(folder.glob("*-*-*.json"))
    now = time.time()
    for dead in [p for p in entries if ours not in p.name]:
        with contextlib.suppress(OSError):
            if now - dead.stat().st_mtime > OTHERS_KEPT_S:
                dead.unlink()
    live = sorted((p for p in entries if ours in p.name), key=lambda p: p.stat().st_mtime_ns)
    for old in live[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
