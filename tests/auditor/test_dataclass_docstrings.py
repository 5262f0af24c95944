"""Every dataclass of the auditor says what one instance stands for, in a docstring of its own.

Besides the reader: where a dataclass has no docstring, Python 3.11's `dataclass` writes one from
`inspect.signature(cls)` as the class is made, about a sixth of the cost of making it; an audit
makes some sixty of them before it reads a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

AUDITOR = Path(__file__).resolve().parents[2] / "auditor"


def _is_dataclass(node: ast.ClassDef) -> bool:
    def name(d: ast.expr) -> str:
        d = d.func if isinstance(d, ast.Call) else d
        return d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")

    return any(name(d) == "dataclass" for d in node.decorator_list)


def test_every_dataclass_of_the_auditor_has_a_docstring():
    classes, missing = 0, []
    for path in sorted(AUDITOR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and _is_dataclass(node):
                classes += 1
                if not (ast.get_docstring(node) or "").strip():
                    missing.append(f"{path.relative_to(AUDITOR.parent)}:{node.lineno} {node.name}")
    assert classes > 60  # the walk saw the auditor's dataclasses
    assert missing == []


def test_a_dataclass_with_a_docstring_is_made_without_reading_its_signature(monkeypatch):
    import dataclasses
    import inspect

    asked = []
    monkeypatch.setattr(inspect, "signature", lambda *a, **k: asked.append(a) or "(...)")

    @dataclasses.dataclass(frozen=True)
    class Documented:
        """A documented record."""

        x: int

    @dataclasses.dataclass(frozen=True)
    class Bare:
        x: int

    assert Documented.__doc__ == "A documented record." and len(asked) == 1  # only Bare's
