"""The walks over every parsed file read only the fields that can hold nodes (auditor.astnodes):
they must find exactly what ast.walk / ast.iter_child_nodes find, in the same order, and safeio's
depth check must refuse exactly the trees that are deeper than its limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _refused(source: str, limit: int) -> bool:
    try:
        safeio.parse_python(source, shown="deep.py", max_depth=limit)
    except safeio.ReadRefused:
        return True
    return False


def _library_sources(count: int) -> list[tuple[str, str]]:
    """Files of Python's own library: code nobody here wrote, every syntax Python 3.11 parses."""
    import sysconfig

    files = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    out = []
    for path in files[::max(1, len(files) // count)]:
        try:
            text = path.read_text(encoding="utf-8")
            ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the library's own test files of bad syntax
        out.append((path.name, text))
    return out


def _depth_check_matches_the_reference(sources: list[tuple[str, str]]) -> int:
    """Refused exactly when deeper than the limit, at limits about each file's own depth (where
    passing over a short expression would first go wrong) and at small ones; how many checks."""
    checks = 0
    for name, text in sources:
        tree = ast.parse(text)
        depth = _reference_depth(tree)
        for limit in sorted({depth - 3, depth - 2, depth - 1, depth, depth + 1, 6, 10, 16}):
            if limit >= 1:
                assert safeio._deeper_than(tree, limit) == (depth > limit), (name, depth, limit)
                checks += 1
    return checks


def test_the_depth_check_passes_over_no_expression_that_reaches_the_limit_in_real_code():
    assert _depth_check_matches_the_reference(_sources() + _library_sources(150)) > 1000


@pytest.mark.slow
def test_the_depth_check_passes_over_no_expression_that_reaches_the_limit_in_more_of_the_library():
    assert _depth_check_matches_the_reference(_library_sources(600)) > 4000


_ATOM_TEXTS = ["x", "1", "'s'", "f'{x}'", "[]", "()", "...", "None", "b''", "x.y"]
_ATOMS = st.sampled_from(_ATOM_TEXTS)


def _nested(inner: str, form: int) -> str:
    forms = ["-{}", "not {}", "({} + x)", "f({})", "f(k={})", "f(*{})", "{}.a", "{}[x]", "x[{}:]", "[{}]",
             "({},)", "{{{}: x}}", "{{**{}}}", "(lambda: {})", "[y for y in {}]", "({} if x else x)",
             "(x := {})", "f'{{{}}}'", "f'{{x:{{{}}}}}'", "{} < x", "(await {})", "x or {}"]
    return forms[form % len(forms)].format(inner)


@st.composite
def _expressions(draw) -> str:
    text = draw(_ATOMS)
    for form in draw(st.lists(st.integers(min_value=0, max_value=100), max_size=40)):
        text = _nested(text, form)
    return text


_STATEMENTS = ["y = {}", "if x:\n    y = {}", "def g():\n    return {}", "async def h():\n    {}", "{}", "if x: {}",
               "while {}: pass", "with {}: pass", "@{}\ndef d(): pass", "class C({}): pass", "assert {}", "del {}"]


@pytest.mark.parametrize("statement", _STATEMENTS)
def test_the_depth_check_answers_as_the_reference_on_each_statement_of_small_expressions(statement):
    """Every atom, and every nesting of one, in every statement: where a bound one too loose would
    first pass over the deepest node (a statement of one expression holds no character of its own)."""
    for atom in _ATOM_TEXTS:
        for form in range(-1, 22):
            _answers_as_the_reference(statement.format(atom if form < 0 else _nested(atom, form)))


@settings(max_examples=300, deadline=None)
@given(_expressions(), st.sampled_from(_STATEMENTS))
def test_the_depth_check_answers_as_the_reference_on_built_expressions(expression, statement):
    _answers_as_the_reference(statement.format(expression))


def _answers_as_the_reference(source: str) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # an f-string nested too deeply for Python 3.11, an await outside async
        return
    depth = _reference_depth(tree)
    for limit in range(max(1, depth - 3), depth + 2):
        assert _refused(source, limit) == (depth > limit), (source, depth, limit)
