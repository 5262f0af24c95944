"""Rules: YAML files validated against the schema.json of the built-in rules, loaded into frozen Rule values.

Every problem is reported with its file and line: YAML syntax errors carry the parser's
mark, schema errors are mapped back to the offending node by composing the same text with
yaml.compose(). `load_rules` refuses a folder with any structural error (syntax, schema,
duplicate id); `lint_rules` also checks that probes exist and cited passages are found.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import yaml

from auditor import safeio, schemacache
from auditor.model import COLUMNS

# the rules, their schema and the gate checklists that ship inside the package (a project's own
# rules/ folder overrides them): files beside this module, where a wheel installs them (importlib.resources
# would import zipfile and its compressors for a package that is never run from a zip)
BUILTIN_RULES = Path(__file__).resolve().parent / "builtin_rules"
SCHEMA_PATH = BUILTIN_RULES / "schema.json"
# sha256 of the built-in rule texts that passed the schema, and of the schema they passed, written
# by scripts/validated_rules.py and checked against the files by tests/auditor/test_rules_validated.py:
# a text listed there is not validated again (importing jsonschema alone is a sixth of a small audit)
VALIDATED_PATH = BUILTIN_RULES / "validated.json"

if TYPE_CHECKING:
    import jsonschema


@dataclass(frozen=True)
class LintError:
    """One problem in a rule file."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


class RulesError(Exception):
    """Rule files that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: list[LintError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class RuleCitation:
    """One passage of a document that a rule cites, word for word, and where the rule file cites it."""

    document: str
    passage: str
    implied: bool = False
    optional: bool = False
    line: int | None = None  # in the rule file


@dataclass(frozen=True)
class Column:
    """How one matrix column of a rule is answered: a probe with params, or not applicable."""

    probe: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    na: str | None = None
    line: int | None = None

    @property
    def applicable(self) -> bool:
        return self.na is None


@dataclass(frozen=True)
class Rule:
    """One rule as read from its YAML file: what it requires, how each column is answered, and its gates."""

    id: str
    title: str
    severity: str
    rationale: str
    citations: tuple[RuleCitation, ...]
    columns: Mapping[str, Column]
    remedy: str
    gates: tuple[str, ...] = ()
    order: int | None = None
    path: Path = Path()
    line: int = 1


@lru_cache(maxsize=1)
def fast_validator() -> Callable[[Any], bool] | None:
    """jsonschema-rs's check of the schema (whether a document passes), or None where it cannot be
    imported. Importing and building it costs a hundredth of jsonschema's import alone; jsonschema
    words the errors of a text it rejects, and decides: the fast check only ever spares that work."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).is_valid


def _passes_fast_check(data: Any) -> bool:
    fast = fast_validator()
    try:
        return fast is not None and fast(data)
    except (ValueError, TypeError, OverflowError):  # a value JSON has no type for (a YAML date): jsonschema decides
        return False


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # only for a text that is not a built-in rule as shipped, and fails the fast check

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _node_at(node: yaml.Node | None, path: list[Any], key_node: bool = False) -> yaml.Node | None:
    """The YAML node at a JSON path (the deepest one reachable); the key node if asked."""
    for i, step in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == step:
                    node = k if key_node and i == len(path) - 1 else v
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _schema_errors(path: Path, data: Any, root: yaml.Node | None) -> list[LintError]:
    if _passes_fast_check(data):
        return []
    out: list[LintError] = []
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = list(err.absolute_path)
        field_name = ".".join(str(p) for p in where) or "(top level)"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - allowed):
                node = _node_at(root, where + [extra], key_node=True)
                known = ", ".join(sorted(allowed))
                out.append(LintError(path, _line(node), f"unknown key {extra!r} in {field_name} (allowed: {known})"))
            continue
        if err.validator == "oneOf" and len(where) == 2 and where[0] == "columns":
            inst = err.instance if isinstance(err.instance, dict) else {}
            branch = 0 if "probe" in inst else 1 if "na" in inst else None
            subs = [e for e in (err.context or []) if branch is not None and e.relative_schema_path[0] == branch]
            if branch is None or not subs:
                msg = f"{field_name}: a column needs either `probe: NAME` (with optional `params:`) or `na: REASON`"
                out.append(LintError(path, _line(_node_at(root, where)), msg))
            for sub in subs:
                sub_where = where + list(sub.relative_path)
                node = _node_at(root, sub_where)
                if sub.validator == "additionalProperties":
                    msg = f"{field_name}: {sub.message} (a column has `probe`/`params` or `na`, not both)"
                else:
                    msg = f"{field_name}: {sub.message}"
                out.append(LintError(path, _line(node), msg))
            continue
        node = _node_at(root, where)
        out.append(LintError(path, _line(node), f"{field_name}: {err.message}"))
    return out


def _build(path: Path, data: Mapping[str, Any], root: yaml.Node | None) -> Rule:
    citations = tuple(
        RuleCitation(
            document=c["document"],
            passage=c["passage"],
            implied=bool(c.get("implied", False)),
            optional=bool(c.get("optional", False)),
            line=_line(_node_at(root, ["citations", i, "passage"])),
        )
        for i, c in enumerate(data.get("citations") or [])
    )
    columns = {
        name: Column(
            probe=spec.get("probe"),
            params=dict(spec.get("params") or {}),
            na=spec.get("na"),
            line=_line(_node_at(root, ["columns", name, "probe" if "probe" in spec else "na"])),
        )
        for name, spec in ((n, data["columns"][n]) for n in COLUMNS)
    }
    return Rule(
        id=data["id"],
        title=data["title"],
        severity=data["severity"],
        rationale=data["rationale"].strip(),
        citations=citations,
        columns=columns,
        remedy=data["remedy"].rstrip(),
        gates=tuple(data.get("gates", ())),
        order=data.get("order"),
        path=path,
        line=_line(root) or 1,
    )


def _rule_files(rules_dir: Path) -> list[Path]:
    if not rules_dir.is_dir():
        raise RulesError([LintError(rules_dir, None, "rules folder does not exist")])
    files = sorted(p for p in rules_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise RulesError([LintError(rules_dir, None, "no rule files (*.yaml) in the rules folder")])
    return files


def _parse(path: Path, folder: Path) -> tuple[Rule | None, list[LintError]]:
    try:
        text = safeio.read_text(path, within=safeio.Root(folder, "the rules folder"), cap=safeio.YAML_CAP,
                                shown=str(path), strict=True)
    except safeio.ReadRefused as exc:
        return None, [LintError(path, exc.line, exc.why)]
    except safeio.READ_ERRORS as exc:
        return None, [LintError(path, None, safeio.describe(exc, str(path)).split(": ", 1)[1])]
    rule, errors = _parsed_cached(path, text) if len(text) <= _CACHED_TEXT else _parsed(path, text)
    return copy.deepcopy(rule), list(errors)  # a caller changing its rule never changes the cache


# Parsing and validating the rules is most of a small audit's time, and every in-process audit
# (the API, the gate, the fuzz tests) loads them again: a file is parsed once per text, keyed by
# the text itself (not its mtime), so any change is read. Bounded: 64 files of at most 64 KiB.
_CACHED_TEXT = 64 * 1024


def _parsed(path: Path, text: str) -> tuple[Rule | None, tuple[LintError, ...]]:
    try:
        doc = safeio.parse_yaml(text, shown=str(path))
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        return None, (LintError(path, safeio.yaml_error_line(exc), f"invalid YAML: {problem}"),)
    except safeio.ReadRefused as exc:
        return None, (LintError(path, exc.line, exc.why),)
    root, data = doc.node, doc.data
    known = _known_valid(_sha256(text))
    schema_errors = [] if known else _schema_errors(path, data, root)
    if not known and not schema_errors:
        schemacache.note_passed(_sha256(text), _schema_sha256())
    errors = schema_errors or _document_errors(path, data, root)
    if errors:
        return None, tuple(errors)
    return _build(path, data, root), ()


_parsed_cached = lru_cache(maxsize=64)(_parsed)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _known_valid(digest: str) -> bool:
    """A built-in rule as shipped, or a text that passed this schema in an earlier audit."""
    return digest in _validated_texts() or schemacache.passed(digest, _schema_sha256())


@lru_cache(maxsize=1)
def _schema_sha256() -> str:
    return _sha256(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validated_texts() -> frozenset[str]:
    """The digests of the rule texts known to pass the schema as it is now; none when the record
    is missing, unreadable or written for another schema (then every text is validated)."""
    try:
        record = json.loads(VALIDATED_PATH.read_text(encoding="utf-8"))
        if record["schema_sha256"] != _schema_sha256():
            return frozenset()
        return frozenset(str(d) for d in record["rule_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


def _document_errors(path: Path, data: Mapping[str, Any], root: yaml.Node | None) -> list[LintError]:
    """Cited documents must lie inside the project: no absolute paths, no way out through `..`."""
    out = []
    for i, cit in enumerate(data.get("citations") or []):
        doc = str(cit.get("document", ""))
        if Path(doc).is_absolute() or os.path.normpath(doc).split(os.sep)[0] == "..":
            line = _line(_node_at(root, ["citations", i, "document"]))
            out.append(LintError(path, line, f"citations.{i}.document: {doc!r} is outside the project; "
                                             "cite a document by its path inside the project"))
    return out


def _load(rules_dir: Path) -> tuple[list[Rule], list[LintError]]:
    rules: list[Rule] = []
    errors: list[LintError] = []
    seen: dict[str, Rule] = {}
    for path in _rule_files(Path(rules_dir)):
        rule, errs = _parse(path, Path(rules_dir))
        errors.extend(errs)
        if rule is None:
            continue
        if rule.id in seen:
            first = seen[rule.id]
            errors.append(LintError(path, rule.line, f"duplicate id {rule.id!r} (first in {first.path}:{first.line})"))
            continue
        seen[rule.id] = rule
        rules.append(rule)
    # file-name order breaks ties and places rules without `order` after those with one
    rules.sort(key=lambda r: (r.order is None, r.order or 0, r.path.name))
    return rules, errors


def load_rules(rules_dir: str | Path) -> list[Rule]:
    """Every rule in `rules_dir`, in matrix order; RulesError lists every structural problem."""
    rules, errors = _load(Path(rules_dir))
    if errors:
        raise RulesError(errors)
    return rules


def lint_rules(rules_dir: str | Path, project_root: str | Path | None = None) -> list[LintError]:
    """Every problem in the rule files: syntax, schema, duplicate ids, unknown probes, and
    (when `project_root` is given) cited passages not found in their documents."""
    import auditor.probes  # noqa: F401  (fills the registry)
    from auditor.evidence.docs import find_passage, read_document
    from auditor.model import PROBES

    try:
        rules, errors = _load(Path(rules_dir))
    except RulesError as exc:
        return exc.errors
    for rule in rules:
        for name in COLUMNS:
            col = rule.columns[name]
            if col.probe is None:
                continue
            if col.probe not in PROBES:
                errors.append(LintError(rule.path, col.line, f"columns.{name}: unknown probe {col.probe!r}"))
                continue
            try:
                inspect.signature(PROBES[col.probe]).bind(None, **col.params)
            except TypeError as exc:
                errors.append(
                    LintError(rule.path, col.line, f"columns.{name}: params do not fit probe {col.probe}: {exc}")
                )
        if project_root is None:
            continue
        for cit in rule.citations:
            doc = read_document(Path(project_root), cit.document)
            if doc.error:
                errors.append(LintError(rule.path, cit.line, doc.error))
            elif not doc.exists:
                if not cit.optional:
                    errors.append(LintError(rule.path, cit.line, f"cited document {cit.document} does not exist"))
            elif find_passage(doc, cit.passage) is None and not cit.optional:
                errors.append(LintError(rule.path, cit.line, f"passage {cit.passage!r} not found in {cit.document}"))
    errors.sort(key=lambda e: (str(e.path), e.line or 0))
    return errors
