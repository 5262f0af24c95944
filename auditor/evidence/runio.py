"""How run evidence reads a run directory's files: through auditor.safeio (confined to the run
directory, regular files only, capped, depth-limited), with paths shown relative to the run,
and the timestamps of log lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from auditor import rxcache, safeio

MAX_JSON_BYTES = 4 * 1024 * 1024


MAX_TEXT_BYTES = 256 * 1024 * 1024  # logs and events are streamed line by line up to this


MAX_LINE_CHARS = 64 * 1024  # a longer line (a corrupt or hostile file) is cut to this


_TS_RE = rxcache.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?")


def relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def read_json(path: Path, run: Path) -> Any:
    """A JSON file of the run directory, through auditor.safeio (confined, regular, capped, depth-limited)."""
    return safeio.read_json(path, within=safeio.run_directory(run), cap=MAX_JSON_BYTES, shown=relative(path, run))


def read_lines(path: Path, run: Path) -> Iterator[tuple[int, str]]:
    """Lines of a text file of the run directory, streamed through auditor.safeio, up to
    MAX_TEXT_BYTES; an overlong line keeps only its head."""
    return safeio.lines(path, within=safeio.run_directory(run), cap=MAX_TEXT_BYTES, line_cap=MAX_LINE_CHARS,
                        shown=relative(path, run))


def present(path: Path) -> bool:
    """Whether something is there (a FIFO or a link out is there, and is reported when read)."""
    return path.exists() or path.is_symlink()


def parse_time(text: str) -> float | None:
    """Unix time of the first ISO-like timestamp in `text` (no zone: UTC)."""
    m = _TS_RE.search(text)
    if not m:
        return None
    date, clock, zone = m.groups()
    try:
        if zone and zone != "Z":
            return datetime.fromisoformat(f"{date}T{clock}{zone}").timestamp()
        whole, _, frac = clock.partition(".")
        # fromisoformat validates like strptime and is many times faster (a log has a time on every line)
        base = datetime.fromisoformat(f"{date}T{whole}+00:00").timestamp()
        return base + (float("0." + frac) if frac else 0.0)
    except ValueError:
        return None
