"""The walks over every parsed file read only the fields that can hold nodes (auditor.astnodes):
they must find exactly what ast.walk / ast.iter_child_nodes find, in the same order, and safeio's
depth check must refuse exactly the trees that are deeper than its limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditor import safeio
from auditor.astnodes import LEAVES, children
from auditor.evidence.code.syntax import walk

ROOT = Path(__file__).resolve().parents[2]

# every kind of node Python 3.11 parses, the identifier, string and number fields included
EVERY_SYNTAX = '''
from __future__ import annotations
import os.path as p, sys
from ..pkg import (a as b, c)
global_x: int = 1
def f(a, /, b: int = 2, *args, c, d=3, e: "str" = None, **kw) -> None:
    global g
    def inner():
        nonlocal a
    x = y = (z := 4)
    x += 1; x -= -x; x **= ~x
    del x
    lam = lambda q, *r, s=1, **t: (q, r, s, t)
    assert a < b <= c != d is not e in f not in g, "msg"
    u = [i for i in range(3) if i if not i]; v = {i: j async for i, j in w} if 0 else {*a}; dd = {**{}, 1: 2}
    w = a if b else c; s = a[1:2:3, ::, ...]; t = f"{a!r:>{width}} {b=}" r"x"; bb = b"raw"
    raise ValueError("x") from None
async def g():
    async with a as (b, c), d: await e
    async for i in j: yield i; yield from k
    try: pass
    except* (A, B) as err: pass
    else: pass
    finally: pass
class C(Base, metaclass=M):
    @decorator(arg)
    def m(self): return super().m()
while True:
    if a and b or not c: break
    elif d: continue
    else: pass
for (i, *j) in k: pass
else: pass
with open("f") as h: print(*h, sep="", **{})
try: pass
except (TypeError, ValueError): pass
match command:
    case [1, *rest] | (2, 3): pass
    case {"k": v, **others}: pass
    case Point(x=0, y=yy) as pt if yy > 0: pass
    case None | True | -1 | 1 + 2j | "s": pass
    case str() | _: pass
'''


def _reference_walk(node: ast.AST) -> list[ast.AST]:
    return [n for n in ast.walk(node) if n is node or not isinstance(n, LEAVES)]


def _sources() -> list[tuple[str, str]]:
    own = sorted((ROOT / "auditor").rglob("*.py"))[:60] + sorted((ROOT / "tests" / "corpus").rglob("*.py"))[:60]
    return [("every syntax", EVERY_SYNTAX)] + [(p.name, p.read_text(encoding="utf-8")) for p in own]


def test_walk_and_children_find_what_ast_walk_finds_in_its_order() -> None:
    checked = 0
    for name, text in _sources():
        tree = ast.parse(text)
        assert walk(tree) == _reference_walk(tree), name
        for node in ast.walk(tree):
            assert children(node) == [c for c in ast.iter_child_nodes(node) if not isinstance(c, LEAVES)], name
            checked += 1
    assert checked > 10_000


def _reference_depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


@pytest.mark.parametrize("source", [
    "x = " + "-" * 190 + "a",  # ends in a Name's context, a leaf the walk skips
    "x = " + "(" * 90 + "a" + ")" * 90,
    "x = " + " + ".join(["a"] * 195),  # ends in an operator
    "x = " + "[" * 95 + "]" * 95,  # an empty list: no leaf below it
    "x = " + "f(" * 94 + ")" * 94,
])
def test_depth_check_refuses_exactly_the_trees_deeper_than_the_limit(source: str) -> None:
    depth = _reference_depth(ast.parse(source))
    for limit in (depth - 2, depth - 1, depth, depth + 1):
        if depth > limit:
            with pytest.raises(safeio.ReadRefused):
                safeio.parse_python(source, shown="deep.py", max_depth=limit)
        else:
            assert isinstance(safeio.parse_python(source, shown="deep.py", max_depth=limit), ast.Module)
