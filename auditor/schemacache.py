"""Rule texts that passed the rule schema, kept between audits.

A project with rules of its own had every rule file validated at every audit, and importing
jsonschema and building its validator is about a tenth of a second (jsonschema-rs now checks a
text that passes, for a hundredth; this record spares even that). Whether a text passes the
schema depends only on the text and the schema, so the sha256 of each text that passed is kept,
in `valid-<schema sha256>.json` in the folder auditor.colcache.open_session found usable for the
audited project (none: nothing is kept). A text that fails is validated again at every audit,
so that its errors are always reported; the built-in rules as shipped need no record here
(auditor/builtin_rules/validated.json). At most MAX_TEXTS digests are kept.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor import colcache

FORMAT = 1
MAX_TEXTS = 1024
FILE_CAP = 1024 * 1024  # bytes

_known: dict[Path, list[str]] = {}  # file -> digests, read once per process


def passed(text_sha256: str, schema_sha256: str) -> bool:
    """Whether this text passed this schema in an earlier audit."""
    file = _file(schema_sha256)
    return file is not None and text_sha256 in _digests(file)


def note_passed(text_sha256: str, schema_sha256: str) -> None:
    """Keep that this text passed this schema (nothing when there is no usable folder)."""
    file = _file(schema_sha256)
    if file is None or text_sha256 in _digests(file):
        return
    digests = _known[file] = (_digests(file) + [text_sha256])[-MAX_TEXTS:]
    try:
        colcache.write_private(file, json.dumps({"format": FORMAT, "texts": digests}))
    except OSError:
        return  # validated again next time: the audit itself is unaffected


def _file(schema_sha256: str) -> Path | None:
    folder = colcache.session_folder()
    return None if folder is None else folder / f"valid-{schema_sha256[:32]}.json"


def _digests(file: Path) -> list[str]:
    if file not in _known:
        try:
            data = colcache.read_private(file, cap=FILE_CAP)
            texts = data["texts"] if data.__class__ is dict and data.get("format") == FORMAT else []
            _known[file] = [d for d in texts if d.__class__ is str] if texts.__class__ is list else []
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            _known[file] = []  # absent, refused, not JSON: every text is validated
    return _known[file]
