"""Small projects written for a test: files under a temporary root, audited with no configuration.

Test files hold their fixture projects as text (`{"train.py": TRAIN, "tests/test_x.py": TEST}`);
this writes them (dedented, folders made) and collects the evidence an audit with nothing
configured would, as `audit check --project ROOT` does.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.resolve import resolve


def write(root: Path, files: dict[str, str]) -> Path:
    """Each `files` entry (a path relative to `root` -> its text) written, dedented; `root` back."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def evidence(root: Path, files: dict[str, str] | None = None) -> Evidence:
    """The evidence of the project at `root` (after writing `files` there), nothing configured."""
    if files:
        write(root, files)
    return Evidence(resolve(load_config(root)))
