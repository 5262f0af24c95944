"""Verdict comparison of two audit results (`audit compare OLD.json NEW.json`, `audit check --expect`).

Compared: the set of rules, each rule x column verdict, each rule's waived state, and the
gate's pass/fail. Ignored: summaries, measured values, citations, dates, paths: what changes
from one run to the next without changing a verdict. Used in CI so that a committed
reports/status.json (and the STATUS.md made with it) cannot silently go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from auditor import safeio
from auditor.model import COLUMNS, FAIL, PASS

FORMAT = "audit-result/1"


class CompareInputError(Exception):
    """A file that is not an audit-result/1 JSON (exit 2)."""


@dataclass(frozen=True)
class Difference:
    """One verdict that changed between two audit results: where, and its old and new value."""

    where: str  # "gate prelaunch", "rule resume", "resume / code"
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.where}: {self.old} -> {self.new}"


def load_result(path: str | Path) -> dict[str, Any]:
    """An audit-result/1 JSON object from `path`; CompareInputError names the file and the problem."""
    p = Path(path)
    try:
        data = safeio.read_json(p, within=None, cap=64 * 1024 * 1024, shown=str(p))
    except FileNotFoundError:
        raise CompareInputError(f"{p}: file does not exist") from None
    except safeio.ReadRefused as exc:
        raise CompareInputError(str(exc)) from None
    except safeio.READ_ERRORS as exc:
        raise CompareInputError(safeio.describe(exc, str(p))) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CompareInputError(f"{p}: not an {FORMAT} result (field 'format'; make it with `audit check --format json`)")
    try:
        for rule in data["rules"]:
            for col in COLUMNS:
                rule["cells"][col]["verdict"]
            rule["id"]
        data["summary"]["gate"]["pass"]
    except (KeyError, TypeError) as exc:
        raise CompareInputError(f"{p}: missing field {exc} of an {FORMAT} result") from None
    return data


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """Every verdict that differs between two audit-result/1 objects: the gate first, then
    rules in the new result's order, then rules that are gone."""
    diffs: list[Difference] = []
    og, ng = old["summary"]["gate"], new["summary"]["gate"]
    word = {True: PASS, False: FAIL}
    if og.get("name") != ng.get("name"):
        diffs.append(Difference("gate name", str(og.get("name")), str(ng.get("name"))))
    if og["pass"] != ng["pass"]:
        diffs.append(Difference(f"gate {ng.get('name')}", word[bool(og["pass"])], word[bool(ng["pass"])]))
    old_rules = {r["id"]: r for r in old["rules"]}
    new_ids = {r["id"] for r in new["rules"]}
    for r in new["rules"]:
        rid, before = r["id"], old_rules.get(r["id"])
        if before is None:
            diffs.append(Difference(f"rule {rid}", "absent", "present"))
            continue
        for col in COLUMNS:
            was, now = before["cells"][col]["verdict"], r["cells"][col]["verdict"]
            if was != now:
                diffs.append(Difference(f"{rid} / {col}", was, now))
        was_waived, now_waived = bool(before.get("waived", False)), bool(r.get("waived", False))
        if was_waived != now_waived:
            diffs.append(Difference(f"rule {rid}", "waived" if was_waived else "not waived",
                                    "waived" if now_waived else "not waived"))
    diffs += [Difference(f"rule {rid}", "present", "absent") for rid in old_rules if rid not in new_ids]
    return diffs
