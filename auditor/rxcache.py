"""The auditor's regular expressions, compiled once and kept between audits, as .pyc files keep modules.

An audit compiles about 400 regular expressions of its own, and Python compiles each with its
pure-Python parser, again in every process: a sixth of the CPU of an audit of a small project.
What the parser produces (the matcher's code words, its group names) depends only on the
pattern, its flags and the Python build, so it is kept in the folder auditor.colcache uses, in
a file named after the Python build, and handed back to the regular expression engine's own
constructor, which checks the code before it accepts it (a malformed entry is compiled afresh,
never used). A kept pattern equals what `re.compile` returns (`==` compares the pattern, its
flags and its code). Only the auditor's own patterns come here: one built from a project's
names or a user's setting is compiled with re.compile where it is built.

The cache is used only after `open()`, in the folder auditor.colcache.open_session found usable
for the audited project (outside it, the user's own, private), so that nothing the audited
project holds is trusted. Before, or with AUDIT_NO_CACHE=1, `compile` is `re.compile`. `save()`
writes what this process compiled, atomically; at most MAX_PATTERNS are kept.

The first audit on a machine finds that folder empty, and would compile every pattern afresh (a
fifth of the first audit of a small project). So the package ships the same table,
regex_table.json (written by scripts/regex_table.py), for the Python it was made with: it is
used when the folder holds none yet and its key, the digest of everything the compiled code
depends on (the `re` package's parser and compiler sources, `_sre`'s magic number and code size,
the interpreter's version), is this interpreter's. Its entries go through the same checks.
AUDIT_IGNORE_SHIPPED_REGEX=1 leaves it out (to see what an audit compiles itself).

The libraries an audit imports (PyYAML, click, markdown-it, modules of the standard library)
compile patterns of their own as they are imported, a twentieth of the audit of a small project.
`seed_libraries`, called before they are imported, puts those patterns, compiled, into `re`'s
own cache from a second shipped table, regex_library.json (same key, same checks), where
re.compile finds them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

try:  # CPython's own steps of re.compile; on another Python the cache is simply not used
    import _sre
    from re import _compiler, _parser
except ImportError:  # pragma: no cover - not CPython
    _sre = None

FORMAT = 1
MAX_PATTERNS = 4096
SHIPPED = Path(__file__).with_name("regex_table.json")
LIBRARY = Path(__file__).with_name("regex_library.json")
FILE_CAP = 32 * 1024 * 1024  # bytes
_BUILD = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{getattr(_sre, 'MAGIC', '')}\0{getattr(_sre, 'CODESIZE', '')}"
                        .encode()).hexdigest()[:16]


class _State:
    def __init__(self) -> None:
        self.file: Path | None = None
        self.kept: dict[tuple[str, int], list[Any]] = {}  # (pattern, flags) -> _sre.compile's other arguments
        self.new = False


_state = _State()


def open() -> None:  # noqa: A001 - the cache's open, as in io's
    """Keep this process's compiles from now on, in the folder auditor.colcache.open_session found usable."""
    from auditor import colcache

    folder = colcache.session_folder() if _sre is not None else None
    _state.file = None if folder is None else folder / f"regex-{_BUILD}.json"
    _state.kept, _state.new = _load(_state.file) if _state.file is not None else {}, False
    if _state.file is not None and not _state.kept and not os.environ.get("AUDIT_IGNORE_SHIPPED_REGEX"):
        _state.kept = shipped()  # the first audit on this machine: the table the package ships


def seed_libraries(table: Path | None = None) -> int:
    """Put the patterns of the library table (`table`, else regex_library.json), compiled, in
    `re`'s own cache, where re.compile looks first; how many. Nothing when the table was made for
    another interpreter (its key covers `re`'s sources, so the cache is the one this code fills),
    and no entry `_sre` refuses: `re` compiles those itself, as it would have."""
    cache = getattr(re, "_cache", None)
    if _sre is None or cache.__class__ is not dict or os.environ.get("AUDIT_IGNORE_SHIPPED_REGEX"):
        return 0
    seeded = 0
    for (pattern, flags), parts in shipped(LIBRARY if table is None else table).items():
        if (str, pattern, flags) in cache or flags & re.DEBUG:
            continue
        compiled = _kept(pattern, parts)
        if compiled is not None:
            cache[(str, pattern, flags)] = compiled
            seeded += 1
    return seeded


def _kept(pattern: str, parts: list[Any]) -> re.Pattern[str] | None:
    """The pattern built from a kept entry; None where the engine refuses its code."""
    try:
        return _sre.compile(pattern, parts[0], parts[1], parts[2], parts[3], tuple(parts[4]))
    except (RuntimeError, TypeError, ValueError, OverflowError, IndexError):
        return None


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 - re.compile's stand-in
    """re.compile(pattern, flags), from the cache when it holds the pattern."""
    if _state.file is None or pattern.__class__ is not str:
        return re.compile(pattern, flags)
    flags = int(flags)
    parts = _state.kept.get((pattern, flags))
    found = _kept(pattern, parts) if parts is not None else None
    if found is not None:
        return found  # else not code the engine accepts: compiled afresh below, and the entry replaced
    try:
        parts = _parts(pattern, flags)
        compiled = _sre.compile(pattern, parts[0], parts[1], parts[2], parts[3], tuple(parts[4]))
    except Exception:  # noqa: BLE001 - any step of another CPython's internals: re.compile decides
        return re.compile(pattern, flags)
    _state.kept[(pattern, flags)] = parts
    _state.new = True
    return compiled


def gated(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """compile(pattern, flags) behind a first-character gate (auditor.rxgate): the same matches,
    found sooner where `re` would try the whole pattern at every position. For the patterns the
    tests column searches most (reading the gate off `re`'s parse costs a tenth of a millisecond)."""
    from auditor import rxgate

    return compile(rxgate.gate(pattern, int(flags)), flags)


def _parts(pattern: str, flags: int) -> list[Any]:
    """What re._compiler.compile hands _sre.compile besides the pattern."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    names = parsed.state.groupdict
    index: list[str | None] = [None] * parsed.state.groups
    for name, i in names.items():
        index[i] = name
    return [flags | parsed.state.flags, list(code), parsed.state.groups - 1, dict(names), index]


def save() -> None:
    """Write the patterns this process compiled afresh to the cache (nothing when there are none)."""
    if _state.file is None or not _state.new:
        return
    items = list(_state.kept.items())[-MAX_PATTERNS:]
    from auditor import colcache

    try:
        colcache.write_private(_state.file, json.dumps({"format": FORMAT, "patterns": [
            [p, f, parts] for (p, f), parts in items]}))
    except OSError:
        return  # no cache this time: the audit itself is unaffected
    _state.new = False


def shipped_key() -> str:
    """The digest of what `_parts` depends on besides the pattern: the `re` package's sources, `_sre`'s
    code format and the interpreter's version. A table made where these differ is not used."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.implementation.cache_tag}\0{sys.version_info[:3]}\0"
                            f"{getattr(_sre, 'MAGIC', '')}\0{getattr(_sre, 'CODESIZE', '')}".encode())
    folder = Path(_parser.__file__).parent
    for name in ("_parser.py", "_compiler.py", "_constants.py", "_casefix.py"):
        try:
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
        except OSError:
            digest.update(name.encode() + b"\0absent\0")
    return digest.hexdigest()


def shipped(table: Path | None = None) -> dict[tuple[str, int], list[Any]]:
    """The entries of the table the package ships (or `table`), when it was made for this interpreter."""
    path = SHIPPED if table is None else table
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(FILE_CAP + 1)[:FILE_CAP])
        if data.get("format") != FORMAT or data.get("key") != shipped_key():
            return {}
        return {(p, f): parts for p, f, parts in data["patterns"]
                if p.__class__ is str and f.__class__ is int and parts.__class__ is list and len(parts) == 5}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return {}  # absent, not ours, or another format: every pattern is compiled afresh


def table_text(kept: dict[tuple[str, int], list[Any]]) -> str:
    """regex_table.json's text for `kept`, keyed for this interpreter (scripts/regex_table.py)."""
    items = sorted(kept.items())[:MAX_PATTERNS]
    return json.dumps({"format": FORMAT, "key": shipped_key(), "patterns": [[p, f, parts] for (p, f), parts in items]},
                      separators=(",", ":")) + "\n"


def _load(file: Path) -> dict[tuple[str, int], list[Any]]:
    from auditor import colcache

    try:
        data = colcache.read_private(file, cap=FILE_CAP)
        return {(p, f): parts for p, f, parts in data["patterns"]
                if p.__class__ is str and f.__class__ is int and parts.__class__ is list and len(parts) == 5}
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return {}  # absent, refused, not JSON, or not ours: compiled afresh and written again
