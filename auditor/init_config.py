"""`audit init`: what discovery found, written into a commented audit.yaml for the user to correct.

Every key written is an override (configuration wins over discovery); a key discovery found
nothing for is written as a comment, so discovery stays in charge of it. An existing
audit.yaml is never overwritten, and a pyproject.toml that already has `[tool.audit]` is
left alone (an audit.yaml would silently replace it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from auditor.config import ConfigError, load_config
from auditor.discovery import Discovery
from auditor.resolve import read_summary, resolve


class InitError(Exception):
    """`audit init` cannot write (exit 2): the file exists, or the project is configured elsewhere."""


@dataclass(frozen=True)
class Written:
    """The audit.yaml that `audit init` wrote: its path, its text and the keys it sets."""

    path: Path
    text: str
    keys: tuple[str, ...]  # the keys set (the rest are comments)


def _value(key: str, value: object) -> str:
    """`key: value`, a list in flow style ([a, b]), every string quoted as YAML needs."""
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=120).strip()
    if not isinstance(value, list):
        dumped = dumped.removesuffix("...").strip()  # a plain scalar document ends with '...'
    return f"{key}: {dumped}"


def _folders(sources: tuple[str, ...]) -> list[str]:
    """The top-level folders and files that hold the sources (src/pkg rather than every module)."""
    tops: list[str] = []
    for rel in sources:
        parts = rel.split("/")
        top = "/".join(parts[:2]) if parts[0] in ("src", "lib") and len(parts) > 2 else parts[0]
        if top not in tops:
            tops.append(top)
    return tops


def _entry_notes(found: Discovery) -> list[str]:
    notes = []
    if found.entry_point is not None:
        notes.append(f"found: {found.entry_point.why}")
    others = [f"{e.target} ({e.why})" for e in found.entry_points[1:4]]
    if others:
        notes.append("also: " + "; ".join(others))
    loops = [f"{loop.file}:{loop.line} {loop.function} ({', '.join(loop.does)})" for loop in found.loops[:4]]
    if loops:
        notes.append("training loops, found by what they do: " + "; ".join(loops))
    return notes


def _section(lines: list[str], comment: list[str], key: str, value: object, empty_note: str) -> bool:
    lines.append("")
    lines += [f"# {c}" for c in comment]
    if value in (None, "", [], ()):
        lines.append(f"# {key}: []   ({empty_note}; discovery keeps looking)")
        return False
    lines.append(_value(key, list(value) if isinstance(value, tuple) else value))
    return True


def render(config_root: Path) -> tuple[str, tuple[str, ...]]:
    """The audit.yaml text for the project at `config_root`, and the keys it sets."""
    config = resolve(load_config(config_root))
    found: Discovery = config.discovery
    run = found.run_dir
    lines = [
        "# audit.yaml: what `audit init` found in this project, for you to correct.",
        "# Every key below is an override: edit one to fix a wrong guess, delete one to let discovery",
        "# decide again (`audit check` reports what it read on its first line).",
        f"# {read_summary(config, config.run_dir or None).line}",
    ]
    keys: list[str] = []
    sections = [
        (["the documents whose words the built-in rules read (requirement files, agent rules, READMEs, docs/)"],
         "requirements", list(found.documents), "no document found"),
        (["the training code: folders and files (every .py outside tests, virtual environments and builds)"],
         "source", _folders(found.sources), "no training code found"),
        (["how training starts: a script (train.py), a module (-m pkg), file:function or file:Class.method",
          *_entry_notes(found)], "entry_point", found.entry_point.target if found.entry_point else "",
         "no entry point found"),
        (["test folders/files"], "tests", ["tests"] if any(t.startswith("tests/") for t in found.tests)
         and all(t.startswith("tests/") for t in found.tests) else list(found.tests), "no test found"),
        (["JUnit XML results (globs), recognised by content"], "junit", list(found.junit), "no JUnit file found"),
        (["TDD records: audit-tdd/1 JSON, pytest output or JUnit XML named for their phase"], "tdd_artifacts",
         list(found.tdd), "no TDD record found"),
        (["the run directory `audit check` examines when no --run is given"
          + (f" ({run.checkpoints} checkpoints; logs: {', '.join(run.logs) or 'none'})" if run else "")],
         "run_dir", run.path if run else "", "no run directory found"),
    ]
    for comment, key, value, empty in sections:
        if _section(lines, comment, key, value, empty):
            keys.append(key)
    if found.config_files:
        lines += ["", "# configuration files the training code reads (read by the code evidence, not a key): "
                  + ", ".join(found.config_files[:8])]
    lines += ["", "# tests that must pass for a rule, by name (besides the tests judged by what they assert):",
              "# required_tests:", "#   resume: [test_resume_after_a_crash]"]
    return "\n".join(lines) + "\n", tuple(keys)


def write_init(project: str | Path) -> Written:
    """Write <project>/audit.yaml from discovery; InitError when one exists or pyproject configures the audit."""
    root = Path(project).resolve()
    target = root / "audit.yaml"
    if target.exists() or target.is_symlink():
        raise InitError(f"{target} exists; not overwritten (edit it, or delete it and run `audit init` again)")
    try:
        config = load_config(root)
    except ConfigError:
        raise
    if config.source_file is not None:
        raise InitError(f"{config.source_file} already configures the audit ([tool.audit]); an audit.yaml would "
                        "replace it, so none is written")
    text, keys = render(root)
    try:
        with open(target, "x", encoding="utf-8") as fh:  # exclusive: never replaces a file made meanwhile
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except FileExistsError:
        raise InitError(f"{target} exists; not overwritten") from None
    return Written(target, text, keys)


__all__ = ["InitError", "Written", "render", "write_init"]
