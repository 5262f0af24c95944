"""Waivers: accepted, time-limited exceptions to rules, read from `audit-waivers.yaml`.

```yaml
waivers:
  heartbeat:                       # a rule id
    justification: the heartbeat is covered by the cluster's own liveness probe
    expires: 2026-03-31            # ISO date; after it the waiver fails the gate
    approved_by: jane@example.org  # optional
    columns: [tested]              # optional: only gaps in these columns are waived
```

A rule with an active waiver whose gaps all lie in waived columns is *waived*: it is
reported as such in every format and does not fail its gate. A waiver whose `expires` is
before the audit date fails the gate, naming the rule and the date. Every problem in the
file (syntax, a missing or empty field, a bad date, an unknown rule id) is reported with
the file and line; the audit then refuses to run (exit 2).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from auditor import safeio
from auditor.model import COLUMNS
from auditor.rules import LintError

DEFAULT_FILE = "audit-waivers.yaml"
_FIELDS = ("justification", "expires", "approved_by", "columns")


@dataclass(frozen=True)
class Waiver:
    """One accepted exception to a rule, until `expires`."""

    rule_id: str
    justification: str
    expires: str  # YYYY-MM-DD
    approved_by: str | None = None
    columns: tuple[str, ...] = ()  # empty: every column
    path: Path = Path()
    line: int | None = None

    def is_expired_on(self, date: str) -> bool:
        """True when the audit date (YYYY-MM-DD) is after the last day the waiver holds."""
        return self.expires < date

    def covers(self, column: str) -> bool:
        return not self.columns or column in self.columns


class WaiverError(Exception):
    """A waivers file that cannot be used; `errors` lists every problem with file and line."""

    def __init__(self, errors: list[LintError]) -> None:
        self.errors = errors
        n = len(errors)
        super().__init__(f"{n} error{'s' if n != 1 else ''} in the waivers file:\n" + "\n".join(map(str, errors)))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return None  # a time of day means the author meant something else; ask for a date
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            return None
    return None


def _entry(path: Path, rule_id: str, key_node: yaml.Node, node: yaml.Node, errors: list[LintError]) -> Waiver | None:
    where = f"waivers.{rule_id}"
    if not isinstance(node, yaml.MappingNode):
        errors.append(LintError(path, _line(node), f"{where}: must be a mapping with justification and expires"))
        return None
    data: dict[str, Any] = {}
    lines: dict[str, int | None] = {}
    for k, v in _pairs(node):
        key = k.value
        if key not in _FIELDS:
            errors.append(LintError(path, _line(k), f"{where}: unknown key {key!r} (allowed: {', '.join(_FIELDS)})"))
            continue
        data[key] = safeio.yaml_value(v)
        lines[key] = _line(v)
    before = len(errors)
    justification = data.get("justification")
    if "justification" not in data:
        errors.append(LintError(path, _line(key_node), f"{where}: missing required key 'justification'"))
    elif not isinstance(justification, str) or not justification.strip():
        errors.append(LintError(path, lines["justification"], f"{where}.justification: must be a non-empty string"))
    expires = _date(data.get("expires"))
    if "expires" not in data:
        errors.append(LintError(path, _line(key_node), f"{where}: missing required key 'expires' (an ISO date)"))
    elif expires is None:
        errors.append(LintError(path, lines["expires"],
                                f"{where}.expires: {data['expires']!r} is not a date in the form YYYY-MM-DD"))
    approved = data.get("approved_by")
    if "approved_by" in data and (not isinstance(approved, str) or not approved.strip()):
        errors.append(LintError(path, lines["approved_by"], f"{where}.approved_by: must be a non-empty string"))
    columns = data.get("columns", [])
    if isinstance(columns, str):
        columns = [columns]
    columns_ok = isinstance(columns, list) and all(c in COLUMNS for c in columns)
    if not columns_ok or ("columns" in data and not columns):
        errors.append(LintError(path, lines.get("columns"), f"{where}.columns: must be a non-empty list of "
                                f"{', '.join(COLUMNS)}; got {data.get('columns')!r}"))
    if len(errors) > before:
        return None
    return Waiver(rule_id=rule_id, justification=" ".join(justification.split()), expires=str(expires),
                  approved_by=approved.strip() if approved else None, columns=tuple(columns), path=path,
                  line=_line(key_node))


def load_waivers(path: str | Path, known_rules: Iterable[str] | None = None,
                 within: safeio.Root | None = None) -> dict[str, Waiver]:
    """The waivers in `path`, keyed by rule id; WaiverError lists every problem with file:line.

    `known_rules`, when given, is the set of rule ids; a waiver for any other id is an error.
    `within`: the folder the file must resolve inside (the project, for its own waivers file;
    None for a file named on the command line).
    """
    path = Path(path)
    try:
        root = safeio.read_yaml(path, within=within, shown=str(path)).node
    except (FileNotFoundError, NotADirectoryError):
        raise WaiverError([LintError(path, None, "waivers file does not exist")]) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise WaiverError([LintError(path, safeio.yaml_error_line(exc), f"invalid YAML: {problem}")]) from None
    except safeio.ReadRefused as exc:
        raise WaiverError([LintError(path, exc.line, exc.why)]) from None
    except safeio.READ_ERRORS as exc:
        raise WaiverError([LintError(path, None, safeio.describe(exc, str(path)).split(": ", 1)[1])]) from None
    if root is None:
        return {}
    errors: list[LintError] = []
    if not isinstance(root, yaml.MappingNode):
        raise WaiverError([LintError(path, _line(root), "must be a mapping with a `waivers:` key")])
    body: yaml.Node | None = None
    for k, v in _pairs(root):
        if k.value == "waivers":
            body = v
        else:
            errors.append(LintError(path, _line(k), f"unknown top-level key {k.value!r} (allowed: waivers)"))
    if body is not None and not (isinstance(body, yaml.MappingNode) or (isinstance(body, yaml.ScalarNode)
                                                                        and body.tag.endswith(":null"))):
        errors.append(LintError(path, _line(body), "waivers: must map rule ids to waivers"))
        body = None
    known = set(known_rules) if known_rules is not None else None
    out: dict[str, Waiver] = {}
    for k, v in _pairs(body):
        rule_id = str(k.value)
        if rule_id in out:
            errors.append(LintError(path, _line(k), f"waivers.{rule_id}: duplicate (first at line {out[rule_id].line})"))
            continue
        if known is not None and rule_id not in known:
            errors.append(LintError(path, _line(k), f"waivers.{rule_id}: unknown rule id (known: {', '.join(sorted(known))})"))
            continue
        waiver = _entry(path, rule_id, k, v, errors)
        if waiver is not None:
            out[rule_id] = waiver
    if errors:
        raise WaiverError(sorted(errors, key=lambda e: e.line or 0))
    return out


def default_waivers_file(project_root: Path) -> Path | None:
    """The project's `audit-waivers.yaml` when it exists."""
    p = project_root / DEFAULT_FILE
    return p if p.exists() or p.is_symlink() else None


def apply_waivers(result: Any, waivers: Mapping[str, Waiver]) -> Any:
    """The AuditResult with each rule's waiver attached and the summary recomputed."""
    from auditor.results import summarise

    if not waivers:
        return result
    rules = tuple(
        dataclasses.replace(rr, waiver=waivers[rr.rule.id], waiver_expired=waivers[rr.rule.id].is_expired_on(result.date))
        if rr.rule.id in waivers else rr
        for rr in result.rules
    )
    return dataclasses.replace(result, rules=rules, summary=summarise(rules, result.summary.gate))
