"""The configuration an audit runs with: what the file sets, and discovery for the rest.

`resolve(config)` fills every discoverable key the configuration file does not set with
what `auditor.discovery` found; a key the file sets is kept as written (configuration
overrides discovery, it is never a precondition). `read_summary` says what the audit read
and what it did not, for the first line of every report; `key_hint` is how a message about
missing evidence names the key to set.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from auditor.config import ProjectConfig
from auditor.discovery import Discovery, discover

DISCOVERED_KEYS = ("requirements", "source", "entry_point", "main_module", "tests", "junit", "tdd_artifacts",
                   "run_dir")
NO_ENTRY = "(no entry point found)"  # a path no project holds: the code collector reads no extra file for it


def key_hint(key: str) -> str:
    """How to fix a wrong guess or a missing find: the key to set, and where."""
    return f"set `{key}` in audit.yaml or [tool.audit] of pyproject.toml (`audit init` writes one)"


def resolve(config: ProjectConfig) -> ProjectConfig:
    """`config` with every discoverable key it does not set taken from discovery."""
    explicit = config.explicit
    if config.discovery is not None:
        return config
    found = discover(config.root, sniff=not {"junit", "tdd_artifacts"} <= explicit,
                     code=not {"source", "entry_point"} <= explicit)
    changes: dict[str, object] = {"discovery": found}
    if "requirements" not in explicit:
        changes["requirements"] = found.documents
    if "source" not in explicit:
        changes["source"] = found.sources
    if "entry_point" not in explicit:
        entry = found.entry_point
        changes["entry_point"] = entry.target if entry is not None else ""
    if "tests" not in explicit:
        changes["tests"] = found.tests
    if "junit" not in explicit:
        changes["junit"] = found.junit
    if "tdd_artifacts" not in explicit:
        changes["tdd_artifacts"] = found.tdd
    if "run_dir" not in explicit and found.run_dir is not None:
        changes["run_dir"] = found.run_dir.path
    resolved = dataclasses.replace(config, **changes)
    if "main_module" not in explicit:
        resolved = dataclasses.replace(resolved, main_module=entry_file(resolved))
    return resolved


def entry_file(config: ProjectConfig) -> str:
    """The file that holds the entry point: a script, a module's `__main__.py`, a function's file."""
    entry = config.entry_point
    if not entry:
        return ""
    if entry.startswith("-m "):
        module = entry[3:].strip().replace(".", "/")
        for candidate in (f"{module}/__main__.py", f"{module}.py"):
            for base in ("", "src/", "lib/"):
                if (config.root / base / candidate).is_file():
                    return base + candidate
        return ""
    return entry.partition(":")[0]


def code_view(config: ProjectConfig) -> ProjectConfig:
    """The configuration as the code collector reads it: `file:function` and a main module.

    A script or a module is an entry without a function (the collector then starts from
    every function and the file's own code); an empty entry names no file at all.
    """
    entry = config.entry_point
    file = entry_file(config)
    function = entry.partition(":")[2] if entry and not entry.startswith("-m ") else ""
    if "entry_point" not in config.explicit:
        # a discovered entry is a guess: every function is a candidate (a console script's
        # click group, say, reaches its commands through decorators, not calls)
        function = ""
    code_entry = f"{file}:{function}" if file and function else (file or NO_ENTRY)
    return dataclasses.replace(config, entry_point=code_entry, main_module=config.main_module or file or NO_ENTRY)


@dataclass(frozen=True)
class ReadSummary:
    """What an audit read, in one line, and what it left out."""

    line: str
    not_read: tuple[str, ...] = ()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _python_files(config: ProjectConfig, found: Discovery | None) -> list[str]:
    listed = found.sources if found is not None else ()
    if "source" not in config.explicit:
        return list(config.source)
    out = []
    for entry in config.source:
        entry = entry.rstrip("/")
        out += [p for p in listed if p == entry or p.startswith(entry + "/")]
    return out


def _common_folder(paths: list[str]) -> str:
    if not paths:
        return ""
    common = os.path.commonpath([os.path.dirname(p) or "." for p in paths])
    return "" if common in ("", ".") else common.replace(os.sep, "/") + "/"


def _listed(config: ProjectConfig, key: str, named: str, counted: str, none: str) -> str:
    """Configured paths by name (a folder's files are not counted here); discovered files by count."""
    values = getattr(config, key)
    if not values:
        return none
    if key in config.explicit:
        return f"{named} {', '.join(values[:2])}" + (f" (+{len(values) - 2})" if len(values) > 2 else "")
    return _plural(len(values), counted)


def read_summary(config: ProjectConfig, run_dir: str | None) -> ReadSummary:
    """"Read: 7 modules under src/trainerpkg/ (entry point -m trainerpkg), 2 documents, ...; run directory runs/demo"."""
    found: Discovery | None = config.discovery
    modules = _python_files(config, found)
    folder = _common_folder(modules)
    parts = [f"{_plural(len(modules), 'module')}" + (f" under {folder}" if folder else "") if modules
             else "no training code"]
    if config.entry_point:
        parts[0] += f" (entry point {config.entry_point})"
    docs = [d for d in config.requirements if (config.root / d).is_file()]
    parts.append(_plural(len(docs), "document") if docs else "no document")
    parts.append(_listed(config, "tests", "tests in", "test file", "no test"))
    parts.append(_listed(config, "junit", "JUnit", "JUnit file", "no JUnit file"))
    parts.append(_listed(config, "tdd_artifacts", "TDD records in", "TDD record", "no TDD record"))
    run = f"run directory {run_dir}" if run_dir else "no run directory"
    set_keys = [k for k in DISCOVERED_KEYS if k in config.explicit]
    configured = f" (configured: {', '.join(set_keys)}; the rest discovered)" if set_keys else ""
    not_read = tuple(found.not_read) + tuple(found.errors) if found is not None else ()
    return ReadSummary(f"Read: {', '.join(parts)}; {run}{configured}", not_read)


def shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


__all__ = ["DISCOVERED_KEYS", "ReadSummary", "code_view", "entry_file", "key_hint", "read_summary", "resolve"]
