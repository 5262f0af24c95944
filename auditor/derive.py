"""`audit rules derive`: project rules that cite the project's own requirement passages, verbatim.

Each built-in rule is copied with its In Docs? column turned into `docs.cited` on the
passage of the project's documents that states (or implies) it, as the meaning probe found
it: the whole source line, so that from then on a reworded line shows as drift. A rule no
document states keeps `docs.stated` (nothing to cite) and says so. The gate checklists are
copied too. Nothing existing is overwritten; the written rules are linted against the
schema and the project's documents before the command reports success.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditor import safeio
from auditor.config import load_config
from auditor.evidence.docs import collect as collect_docs
from auditor.evidence.docs import find_passage
from auditor.evidence.requirements import IMPLIED, OTHER, Finding, find
from auditor.resolve import resolve
from auditor.rules import BUILTIN_RULES, LintError, lint_rules


class DeriveError(Exception):
    """Rules cannot be derived (exit 2): the output folder holds rules, or a built-in rule cannot be read."""


@dataclass(frozen=True)
class Derived:
    """What `audit rules derive` wrote: the folder, its rule files, each rule's citation and the lint of the result."""

    folder: Path
    files: tuple[Path, ...]
    cited: dict[str, str]  # rule id -> "document:line" of its citation ("" when not documented)
    lint: tuple[LintError, ...]


def _passage(found: Finding, documents: Any) -> str | None:
    """The source line the finding rests on, as a passage that find_passage locates (else None)."""
    doc = documents.document(found.document)
    lines = doc.text.splitlines()
    if not 0 < found.line <= len(lines):
        return None
    passage = lines[found.line - 1].strip()
    match = find_passage(doc, passage) if len(passage) >= 3 else None
    return passage if match is not None and match.line == found.line else None


def _rule_text(builtin: Path, found: Finding | None, passage: str | None, today: str) -> str:
    data = yaml.safe_load(safeio.read_text(builtin, within=None, cap=safeio.YAML_CAP))
    columns = data["columns"]
    if found is not None and passage is not None and found.level != OTHER:
        data["citations"] = [{"document": found.document, "passage": passage,
                              **({"implied": True} if found.level == IMPLIED else {})}]
        columns["docs"] = {"probe": "docs.cited"}
        head = (f"# derived by `audit rules derive` on {today} from {found.document}:{found.line}"
                f" ({'implies' if found.level == IMPLIED else 'states'} it: {found.why}).\n"
                "# The passage must stay in the document word for word: reworded, In Docs? reports drift.\n")
    else:
        why = (f"{found.document}:{found.line} documents {found.why}" if found is not None and found.level == OTHER
               else "not documented: no passage of the project's documents states it")
        head = (f"# derived by `audit rules derive` on {today}: {why}.\n"
                "# In Docs? keeps recognising the requirement by meaning (docs.stated) until a document states it;\n"
                "# then cite that passage here (citations: [{document: ..., passage: ...}], docs: {probe: docs.cited}).\n")
    ordered = {k: data[k] for k in ("id", "title", "order", "severity", "rationale", "citations", "columns", "remedy",
                                    "gates") if k in data}
    return head + yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line strings (a remedy's code sketch) as literal blocks, as a person writes them."""


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def derive_rules(project: str | Path, out: str | Path | None = None, today: str | None = None) -> Derived:
    """Write project rules derived from the project's documents into `out` [default: its rules folder]."""
    root = Path(project).resolve()
    config = resolve(load_config(root))
    folder = Path(out) if out is not None else config.path(config.rules)
    builtins = sorted(BUILTIN_RULES.glob("*.yaml"))
    targets = [folder / b.name for b in builtins]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing or (folder.is_dir() and any(folder.glob("*.y*ml"))):
        raise DeriveError(f"{folder} already holds rules; not overwritten (pass --out DIR for another folder)")
    documents = collect_docs(config)
    statements = documents.statements()
    today = today or dt.date.today().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    written, cited = [], {}
    for builtin, target in zip(builtins, targets):
        rule_id = yaml.safe_load(safeio.read_text(builtin, within=None, cap=safeio.YAML_CAP))["id"]
        found = find(rule_id, statements)
        passage = _passage(found, documents) if found is not None else None
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(_rule_text(builtin, found, passage, today))
        written.append(target)
        cited[rule_id] = f"{found.document}:{found.line}" if found is not None and passage and found.level != OTHER \
            else ""
    gates = folder / "gates"
    if (BUILTIN_RULES / "gates").is_dir() and not gates.exists():
        shutil.copytree(BUILTIN_RULES / "gates", gates, ignore=shutil.ignore_patterns("schema.json"))
    return Derived(folder, tuple(written), cited, tuple(lint_rules(folder, root)))


__all__ = ["DeriveError", "Derived", "derive_rules"]
