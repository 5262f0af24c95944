"""One module, one job: no module of auditor/ or magvit/ over 600 lines, no function over 80.

The limits of the developers' guide, held by a test so that a module growing past them is
noticed when it grows, not in a review months later. Split by job when one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
MODULES = sorted(p for package in ("auditor", "magvit") for p in (REPO / package).rglob("*.py"))


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(REPO)) for p in MODULES])
def test_module_and_its_functions_are_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(REPO)} has {lines} lines (at most {MAX_MODULE_LINES})"
    long = [(f.name, f.lineno, f.end_lineno - f.lineno + 1) for f in _functions(ast.parse(text))
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(REPO)}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_check_sees_both_packages() -> None:
    assert any(p.parts[-2:] == ("evidence", "run.py") for p in MODULES)
    assert any(p.name == "train.py" and p.parent.name == "magvit" for p in MODULES)
