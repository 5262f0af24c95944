"""The one door through which the auditor reads the project it audits (and `magvit status` its run).

The audited project is hostile: a pull request from a stranger may hold symlinks out of the
tree, FIFOs, device links, sparse 10 GB files, zip bombs, YAML alias bombs, JSON nested
30,000 deep and patterns that backtrack forever. Every read goes through this module so
that a hardening fix lands once:

- **Confinement.** A path is resolved (realpath) and must lie inside its `Root` (the project,
  or the run directory given on the command line); a path that leaves it is refused as
  "links outside the project", its target never opened and never named.
- **Regular files only**, checked with `os.stat` before opening and again with `fstat`
  after a non-blocking open: FIFOs, sockets and devices are refused without blocking.
- **A byte cap on every read**; text is streamed line by line with a line cap and a total cap.
- **JSON and YAML** with nesting-depth limits, and YAML with a limit on the nodes its aliases
  expand to (a recursive alias is refused); messages carry the file and line, never a value.
- **Zip checkpoints** (auditor/safezip.py, which opens through here): the member count and
  central-directory size are checked before `zipfile` reads them, and a member is read up to a
  cap on its *decompressed* bytes.
- **Patterns from configuration** run on RE2 (`google-re2`), whose matching time is linear in
  the input, so no pattern can backtrack.

A refusal is a `ReadRefused` (a ValueError) whose message names the file as the caller shows
it and says why; a missing file is the ordinary FileNotFoundError. `READ_ERRORS` is what a
reader catches to turn one bad file into one error entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import threading
from dataclasses import dataclass, field
import functools
from pathlib import Path
from typing import Any, Iterator

from auditor.refused import ReadRefused
from auditor.safeyaml import YAML_DEPTH, YAML_NODES, YamlDocument, parse_yaml, yaml_error_line, yaml_value
from auditor.shown import needs_visible, visible  # re-exported: callers show what they read through here

# defaults, generous for honest files and small against a machine's memory
TEXT_CAP = 8 * 1024 * 1024  # documents, sources, configuration
JSON_CAP = 4 * 1024 * 1024
YAML_CAP = 1024 * 1024
LINE_CAP = 64 * 1024  # one line of a log or events file
STREAM_CAP = 256 * 1024 * 1024  # all the lines of one log or events file
JSON_DEPTH = 64
PATTERN_CHARS = 1000
_CHUNK = 1024 * 1024


# what a reader catches so that one bad file costs one entry, not a column
READ_ERRORS: tuple[type[BaseException], ...] = (ReadRefused, OSError, UnicodeDecodeError, RecursionError,
                                                MemoryError)


def describe(exc: BaseException, shown: str) -> str:
    """One line about why `shown` could not be read, naming it once and never its content."""
    if isinstance(exc, ReadRefused):
        return str(exc)
    if isinstance(exc, RecursionError):
        return f"{shown}: nested too deeply to read"
    if isinstance(exc, MemoryError):
        return f"{shown}: too large to read in memory"
    if isinstance(exc, UnicodeDecodeError):
        return f"{shown}: not UTF-8 text (byte {exc.start})"
    if isinstance(exc, OSError):
        return f"{shown}: cannot be read ({exc.strerror or type(exc).__name__})"
    return f"{shown}: cannot be read ({type(exc).__name__})"


@dataclass(frozen=True)
class Root:
    """A folder reads must stay inside: the project, or the run directory given on the command line."""

    path: Path
    name: str = "the project"
    # folder -> its real path, for the reads made through this root (a column's): a thousand TDD
    # records of one folder resolve it once, and each its own name only (resolve)
    real_folders: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @functools.cached_property
    def folder(self) -> str:
        return os.fspath(self.path)

    @functools.cached_property
    def real(self) -> str:
        # resolved once: every read inside the root compares its own real path with this one
        return os.path.realpath(self.path)

    def shown(self, path: str | os.PathLike[str]) -> str:
        """`path` as reports show it: relative to the root when it lies under it (as written)."""
        p = Path(path)
        for base in (self.path, Path(self.real)):
            try:
                return p.relative_to(base).as_posix()
            except ValueError:
                continue
        return p.as_posix()


def project(path: str | os.PathLike[str]) -> Root:
    return Root(Path(path), "the project")


def run_directory(path: str | os.PathLike[str]) -> Root:
    return Root(Path(path), "the run directory")


def _shown(path: str | os.PathLike[str], within: Root | None, shown: str | None) -> str:
    """How a refusal names `path`: as the caller shows it, else relative to `within` (a Path is made only here)."""
    if shown is not None:
        return shown
    return within.shown(path) if within is not None else Path(path).as_posix()


def is_inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def resolve(path: str | os.PathLike[str], within: Root | None, shown: str | None = None) -> str:
    """The real path of `path`; ReadRefused when it resolves outside `within` (None: any place)."""
    if _listeners and not getattr(_door, "depth", 0):
        _taint()  # a read, stat or listing a listener cannot replay
    if within is None:
        return os.path.realpath(path)
    whole = os.fspath(path)  # by string: pathlib's parsing was a fifth of reading a small file
    if not os.path.isabs(whole):
        whole = os.path.join(within.folder, whole)
    real = _real_in(whole, within.real_folders)
    if not is_inside(real, within.real):
        raise ReadRefused(_shown(whole, within, shown), f"links outside {within.name}; not followed")
    return real


def _real_in(path: str, folders: dict[str, str]) -> str:
    """os.path.realpath(path), its folder's real path taken from (or kept in) `folders`: the real
    path of a name that is not a symbolic link is its folder's real path joined with it."""
    folder, name = os.path.split(path)
    if name in ("", ".", ".."):
        return os.path.realpath(path)
    real_folder = folders.get(folder)
    if real_folder is None:
        real_folder = folders[folder] = os.path.realpath(folder or ".")
    joined = os.path.join(real_folder, name)
    return os.path.realpath(joined) if os.path.islink(joined) else joined


def check_dir(path: str | os.PathLike[str], within: Root | None, shown: str | None = None) -> Path:
    """`path` when it is a folder inside `within` (listing it shows nothing from outside)."""
    real = resolve(path, within, shown)
    if not os.path.isdir(real):
        raise FileNotFoundError(2, "not a directory", str(path))
    return Path(path)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def stat_file(path: str | os.PathLike[str], within: Root | None, shown: str | None = None) -> os.stat_result:
    """os.stat of a regular file inside `within`, without opening it.

    FileNotFoundError when it is absent; ReadRefused when it links outside, is not a regular
    file (FIFO, socket, device, directory) or cannot be stat'ed.
    """
    return _stat_regular(resolve(path, within, shown), path, within, shown)


def _stat_regular(real: str, path: str | os.PathLike[str], within: Root | None, shown: str | None) -> os.stat_result:
    """os.stat of the regular file `path` resolved to `real`; errors name it as _shown does."""
    try:
        st = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(2, "no such file", _shown(path, within, shown)) from None
    except OSError as exc:
        raise ReadRefused(_shown(path, within, shown), f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ReadRefused(_shown(path, within, shown), f"{_kind(st.st_mode)}, not a regular file; not read")
    return st


def _open_regular(path: str | os.PathLike[str], within: Root | None, shown: str | None) -> tuple[int, int]:
    """(descriptor, size) of a regular file, opened without following a last symlink and without
    blocking on a FIFO; ReadRefused (or FileNotFoundError) naming it as shown otherwise."""
    real = resolve(path, within, shown)
    _stat_regular(real, path, within, shown)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(2, "no such file", _shown(path, within, shown)) from None
    except OSError as exc:
        raise ReadRefused(_shown(path, within, shown), f"cannot be read ({exc.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # swapped for something else since the stat
        os.close(fd)
        raise ReadRefused(_shown(path, within, shown), f"{_kind(st.st_mode)}, not a regular file; not read")
    os.set_blocking(fd, True)
    return fd, st.st_size


class _Opened:
    """A regular file opened without following a last symlink and without blocking on a FIFO."""

    def __init__(self, path: str | os.PathLike[str], within: Root | None, shown: str | None) -> None:
        self.name = _shown(path, within, shown)
        fd, self.size = _open_regular(path, within, shown)
        self.file = os.fdopen(fd, "rb")

    def __enter__(self) -> "_Opened":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.file.close()


def read_bytes(path: str | os.PathLike[str], *, within: Root | None, cap: int, shown: str | None = None,
               truncate: bool = False) -> bytes:
    """The bytes of a regular file; over `cap` bytes it is refused (or cut, with `truncate`)."""
    fd, size = _open_regular(path, within, shown)
    try:  # straight from the descriptor: no buffered file object for one read
        if size > cap and not truncate:
            raise ReadRefused(_shown(path, within, shown), f"{size} bytes, over the {cap}-byte limit; not read")
        want = min(cap, size) + 1  # a buffer the size of the file, not of the cap
        data = _read_up_to(fd, want)
        if len(data) == want and want <= cap:  # the file grew since its stat: read on, up to cap + 1
            data += _read_up_to(fd, cap + 1 - want)
    finally:
        os.close(fd)
    if len(data) > cap:
        if not truncate:
            raise ReadRefused(_shown(path, within, shown), f"over the {cap}-byte limit; not read")
        data = data[:cap]
    return data


def _read_up_to(fd: int, count: int) -> bytes:
    """Up to `count` bytes, fewer only at the end of the file (os.read may return a short count)."""
    parts = []
    while count > 0:
        chunk = os.read(fd, min(count, _CHUNK * 64))
        if not chunk:
            break
        parts.append(chunk)
        count -= len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_text(path: str | os.PathLike[str], *, within: Root | None, cap: int = TEXT_CAP, shown: str | None = None,
              strict: bool = False) -> str:
    """UTF-8 text of a file (a BOM dropped); undecodable bytes are replaced unless `strict`."""
    if not _listeners:
        return _read_text(path, within, cap, shown, strict)
    call = (os.fspath(path), None if within is None else (os.fspath(within.path), within.name), cap, shown, strict)
    _door.depth = getattr(_door, "depth", 0) + 1
    try:
        text = _read_text(path, within, cap, shown, strict)
    except Exception as exc:
        _hear(call, _failed(exc))
        raise
    finally:
        _door.depth -= 1
    _hear(call, _gave(text))
    return text


def _read_text(path: str | os.PathLike[str], within: Root | None, cap: int, shown: str | None, strict: bool) -> str:
    data = read_bytes(path, within=within, cap=cap, shown=shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if strict:
            raise ReadRefused(_shown(path, within, shown), f"not UTF-8 text (byte {exc.start})") from None
        text = data.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff")


def lines(path: str | os.PathLike[str], *, within: Root | None, cap: int = STREAM_CAP, line_cap: int = LINE_CAP,
          shown: str | None = None, start: int = 0) -> Iterator[tuple[int, str]]:
    """(number, text) of each line, streamed from byte `start`; a line over `line_cap` keeps its head.

    Reading stops after `cap` bytes; bytes that are not UTF-8 are replaced.
    """
    with _Opened(path, within, shown) as f:
        if start:
            f.file.seek(start)
        read, number = 0, 0
        while read <= cap:
            raw = f.file.readline(line_cap)
            if not raw:
                return
            read += len(raw)
            rest = raw
            while len(rest) == line_cap and not rest.endswith(b"\n") and read <= cap:
                rest = f.file.readline(line_cap)  # the rest of an overlong line, skipped chunk by chunk
                read += len(rest)
            number += 1
            yield number, raw.decode("utf-8", errors="replace").rstrip("\r\n")


def tail_lines(path: str | os.PathLike[str], *, within: Root | None, cap: int = 8 * 1024 * 1024,
               line_cap: int = LINE_CAP, shown: str | None = None) -> tuple[bool, list[str]]:
    """The lines of the last `cap` bytes (the first, partial one dropped); (whether cut, lines)."""
    size = stat_file(path, within, shown).st_size
    start = max(0, size - cap)
    out = [text for _, text in lines(path, within=within, cap=cap, line_cap=line_cap, shown=shown, start=start)]
    if start and out:
        out = out[1:]
    return bool(start), out


def sha256(path: str | os.PathLike[str], *, within: Root | None, cap: int, shown: str | None = None) -> str:
    """Hex sha256 of a regular file of at most `cap` bytes, streamed."""
    digest = hashlib.sha256()
    with _Opened(path, within, shown) as f:
        if f.size > cap:
            raise ReadRefused(f.name, f"{f.size} bytes, over the {cap}-byte limit; not hashed")
        read = 0
        while chunk := f.file.read(_CHUNK):
            read += len(chunk)
            if read > cap:
                raise ReadRefused(f.name, f"over the {cap}-byte limit; not hashed")
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- listening to reads
# auditor.colcache keeps a column's result with the read_text calls it made and what each gave,
# and uses it again only when replay() of every one gives the same. Any other read, stat or
# listing through this module while a listener listens cannot be replayed: it is told taint().

_listeners: list[Any] = []  # objects with heard(call, outcome) and taint()
_door = threading.local()  # depth of read_text calls on this thread: what they open is heard already


@contextlib.contextmanager
def listening(listener: Any) -> Iterator[None]:
    """While the block runs, `listener.heard(call, outcome)` hears every read_text, and
    `listener.taint()` any other read, stat or listing through this module."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def _taint() -> None:
    for listener in _listeners:
        listener.taint()


def _hear(call: tuple, outcome: str) -> None:
    for listener in _listeners:
        listener.heard(call, outcome)


def text_sha256(text: str) -> str:
    """Hex sha256 of a text as read_text returned it (the outcome a listener hears; testindex's records)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _gave(text: str) -> str:
    return "sha256:" + text_sha256(text)


def _failed(exc: BaseException) -> str:
    return f"raised {type(exc).__name__}: {exc}"


def replay(call: tuple | list) -> str:
    """The outcome a read_text call a listener heard has now: "sha256:<hex>" of the text, or "raised <error>"."""
    path, within, cap, shown, strict = call
    try:
        return _gave(_read_text(path, None if within is None else Root(Path(within[0]), within[1]), cap, shown,
                                strict))
    except Exception as exc:  # noqa: BLE001 - whatever it raises is the outcome compared
        return _failed(exc)


# --------------------------------------------------------------------------- JSON


def _depth_of(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, iteratively (a deep value must not recurse here either), up
    to limit + 1. Level by level, with no (value, depth) pair per container; only containers are
    kept: strings and numbers, most of a JSON file, cost one test each."""
    if value.__class__ is not dict and value.__class__ is not list:
        return 0
    level, depth = [value], 0
    while level and depth <= limit:
        depth += 1
        below: list[Any] = []
        for item in level:
            below += [v for v in (item.values() if item.__class__ is dict else item)
                      if v.__class__ is dict or v.__class__ is list]
        level = below
    return depth


def parse_json(text: str | bytes, *, shown: str, max_depth: int = JSON_DEPTH) -> Any:
    """JSON text parsed, refused when nested deeper than `max_depth` (ReadRefused names the line)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ReadRefused(shown, f"JSON nested deeper than {max_depth} levels; not read") from None
    except json.JSONDecodeError as exc:
        raise ReadRefused(shown, f"not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise ReadRefused(shown, f"not UTF-8 text (byte {exc.start})") from None
    # each array or object opens with a bracket of the text: with no more brackets than max_depth
    # (most small files), the value cannot lie deeper, and its walk is spared
    opening = text.count("[") + text.count("{") if text.__class__ is str else text.count(b"[") + text.count(b"{")
    if opening > max_depth and _depth_of(value, max_depth) > max_depth:
        raise ReadRefused(shown, f"JSON nested deeper than {max_depth} levels; not read")
    return value


def read_json(path: str | os.PathLike[str], *, within: Root | None, cap: int = JSON_CAP, shown: str | None = None,
              max_depth: int = JSON_DEPTH) -> Any:
    data = read_bytes(path, within=within, cap=cap, shown=shown)
    return parse_json(data, shown=_shown(path, within, shown), max_depth=max_depth)


# --------------------------------------------------------------------------- Python source

PYTHON_DEPTH = 200  # syntax-tree depth: honest code stays far below; recursive visitors need headroom


def parse_python(text: str, *, shown: str, max_depth: int = PYTHON_DEPTH) -> Any:
    """`ast.parse` of a source file, refused (ReadRefused) when its tree is deeper than `max_depth`.

    A 100k-term expression makes ast.parse itself raise RecursionError; a 1,000-term one
    parses but breaks every recursive visitor later. Both become one refusal for one file.
    SyntaxError passes through (its line is the message).
    """
    import ast

    try:
        tree = ast.parse(text, filename=shown)
    except RecursionError:
        raise ReadRefused(shown, "Python source nested too deeply to analyse (over the parser's limit)") from None
    except ValueError as exc:  # a null byte
        raise ReadRefused(shown, f"not Python source ({exc})") from None
    if _deeper_than(tree, max_depth):
        raise ReadRefused(shown, f"Python source nested deeper than {max_depth} levels; not analysed",
                          _line_too_deep(tree, max_depth))
    return tree


def _deeper_than(tree: Any, max_depth: int) -> bool:
    """Whether a node of `tree` (at depth 1) lies deeper than `max_depth`. Level by level, with no
    (node, depth) pair or generator per node: every file an audit reads is checked. A level is
    built from the fields that can hold nodes (auditor.evidence.code.syntax.walk's), so names and
    constants, over half the nodes, cost nothing; their contexts and operators (the leaves those
    fields skip) lie one level down, so the last level is asked for any child at all.

    A statement, an expression, a keyword argument or a parameter on one line is not walked when it
    is too short to reach the limit: below it, each level of nodes holds a character of the source
    that the level under it does not (an operator, a bracket, a dot, a keyword, `=` or `**`, the
    name or number it ends in), so a subtree whose node spans n bytes (at least its characters)
    lies at most n levels below it, n + 1 below a statement of one expression (which holds no
    character of its own): the check allows for that level. A definition is walked (its decorators
    lie above its first line). Columns are the source's own outside an f-string; inside one, Python
    3.11 may misplace them, so an f-string too long to pass over is walked whole.
    """
    import ast

    from auditor.astnodes import FIELDS, LEAVES, node_fields

    spanned, joined = (ast.expr, ast.keyword, ast.arg, ast.stmt), ast.JoinedStr
    decorated = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # decorators lie above their first line
    level = [tree]
    for depth in range(2, max_depth + 1):  # the depth of the level built now
        below: list[Any] = []
        for node in level:  # astnodes.children, inlined: a call per node was half of this check
            fields = FIELDS.get(node.__class__)
            for name in fields if fields is not None else node_fields(node.__class__):
                value = getattr(node, name, None)
                if value.__class__ is list:
                    below += value
                elif value is not None:
                    below.append(value)
        level = []
        for child in below:
            if not isinstance(child, ast.AST) or isinstance(child, LEAVES):
                continue
            if isinstance(child, spanned) and child.__class__ not in decorated:
                if child.end_lineno == child.lineno and depth + child.end_col_offset - child.col_offset + 1 <= max_depth:
                    continue  # too short to reach the limit
                if child.__class__ is joined:  # its inner columns are not to be trusted
                    if _deeper_than_exactly(child, max_depth - depth + 1):
                        return True
                    continue
            level.append(child)
        if not level:
            return False
    return any(next(ast.iter_child_nodes(node), None) is not None for node in level)


def _deeper_than_exactly(tree: Any, max_depth: int) -> bool:
    """_deeper_than without passing over short expressions: for the inside of an f-string."""
    import ast

    level = [tree]
    for _ in range(max_depth - 1):
        level = [child for node in level for child in ast.iter_child_nodes(node)]
        if not level:
            return False
    return any(next(ast.iter_child_nodes(node), None) is not None for node in level)


def _line_too_deep(tree: Any, max_depth: int) -> int | None:
    """The line of the first node deeper than `max_depth` met depth first: the line a refusal names."""
    import ast

    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return getattr(node, "lineno", None)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return None


# --------------------------------------------------------------------------- YAML (auditor.safeyaml)


def read_yaml(path: str | os.PathLike[str], *, within: Root | None, cap: int = YAML_CAP, shown: str | None = None,
              max_depth: int = YAML_DEPTH, max_nodes: int = YAML_NODES) -> YamlDocument:
    """A YAML file read through the door and parsed under its limits (the trainer's configs too)."""
    name = _shown(path, within, shown)
    text = read_text(path, within=within, cap=cap, shown=shown, strict=True)
    return parse_yaml(text, shown=name, max_depth=max_depth, max_nodes=max_nodes)


# --------------------------------------------------------------------------- patterns


def compile_pattern(pattern: str) -> Any:
    """A pattern from configuration compiled by RE2, which matches in time linear in the input.

    Python's `re` backtracks: `(?:a{1,1000}){1,1000}b` or `(a+)+$` take exponential time, and
    a shape check cannot find every such pattern. RE2 has no backtracking at all; it refuses
    what it cannot run in linear time (backreferences, lookaround) and bounds its memory.
    ValueError says why a pattern is refused.
    """
    import re2

    if len(pattern) > PATTERN_CHARS:
        raise ValueError(f"longer than {PATTERN_CHARS} characters")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 8 * 1024 * 1024
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"not a pattern RE2 can match in linear time ({why})") from None


__all__ = [
    "JSON_CAP", "JSON_DEPTH", "LINE_CAP", "READ_ERRORS", "STREAM_CAP", "TEXT_CAP", "YAML_CAP", "YAML_DEPTH",
    "YAML_NODES", "ReadRefused", "Root", "YamlDocument", "check_dir", "compile_pattern", "describe", "is_inside",
    "lines", "listening", "needs_visible", "parse_json", "parse_python", "parse_yaml", "project", "read_bytes",
    "read_json", "read_text", "read_yaml", "replay", "resolve", "run_directory", "sha256", "stat_file", "tail_lines",
    "text_sha256", "visible", "yaml_error_line", "yaml_value",
]
