"""Which Python files the code column reads: listed before anything is parsed (auditor.colcache
keys a column on the listing), and light to import (a warm audit imports no analysis module)."""

from __future__ import annotations

from pathlib import Path

MAX_SOURCE_BYTES = 2_000_000
_SOURCES = (".py", ".ipynb")  # a notebook's code cells are read as Python (auditor.notebooks)
_SKIP_DIRS = {".venv", "venv", "__pycache__", ".git", "node_modules", "build", "dist", ".tox"}


def python_files(root: Path, entries: list[str]) -> list[Path]:
    found: list[Path] = []
    for entry in entries:
        path = root / entry
        if path.suffix in _SOURCES and not path.is_dir() and (path.exists() or path.is_symlink()):
            found.append(path)  # a FIFO or a link out is listed, and refused with a reason when read
        elif path.is_dir():
            for p in sorted(q for pattern in ("*.py", "*.ipynb") for q in path.rglob(pattern)):
                if not any(part in _SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts[:-1]):
                    found.append(p)
    seen: set[Path] = set()
    return [p for p in found if not (p in seen or seen.add(p))]
