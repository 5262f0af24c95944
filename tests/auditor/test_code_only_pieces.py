"""code_only_pieces blanks each piece once, and gives what code_only gives the joined text.

A test's closure is its own source and its helpers' sources joined; the same helper is in the
closure of many tests, and tokenizing it again for each was most of the cost of asking whether
a test hands training a resume option. A piece is blanked by itself only where that cannot
differ from blanking it inside the joined text (it tokenizes alone, its first line of code starts
at column 0, it has no line break but the newline); otherwise the joined text is blanked whole.
These tests hold it to code_only of the joined text on pieces built from what changes
tokenizing: indentation, comments, strings and docstrings, unclosed brackets and strings,
backslashes, carriage returns and form feeds.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.evidence.code.syntax import code_only, code_only_pieces

REPO = Path(__file__).resolve().parents[2]

ATOMS = ["def f():", "def g(self):", "class C:", "\n", "\n    ", "\n        ", "\n  ", "    ", " ", "x = 1",
         "y = (", ")", "[", "]", "{", "}", "# note --resume", "#", '"""doc --resume"""', '"""', "'''", '"', "'",
         "'s'", '"t"', "resume=True", "--resume", "\\", "\\\n", "\r", "\r\n", "\x0c", "pass", "return x", "if x:",
         "f'{x}'", "b'y'", "r'\\d'", ",", ":", "=", "(", "1", "async def h():", "await z", "\t", "é", "$"]
PIECE = st.lists(st.sampled_from(ATOMS), max_size=10).map("".join)
PIECES = st.lists(PIECE, min_size=1, max_size=5)


@settings(max_examples=3000, deadline=None)
@given(PIECES)
def test_pieces_blank_as_the_joined_text_does(pieces):
    assert code_only_pieces(pieces) == code_only("\n".join(pieces))


def _functions_of(path: Path) -> list[str]:
    import ast

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(ast.get_source_segment(text, node) or "")
    return out or ["".join(lines)]


def test_the_functions_of_this_repositorys_tests_blank_as_their_joined_text_does():
    pieces = [p for f in sorted((REPO / "tests" / "magvit").glob("test_*.py"))[:12] for p in _functions_of(f)]
    assert len(pieces) > 100
    for start in range(0, len(pieces), 7):
        chunk = pieces[start:start + 7]
        assert code_only_pieces(chunk) == code_only("\n".join(chunk))


def test_a_helpers_comments_and_docstrings_are_blanked():
    helper = 'def run(tmp):\n    """Start training with --resume latest."""\n    main([str(tmp)])  # --resume is the default\n'
    test = "def test_x(tmp):\n    run(tmp)\n    assert (tmp / 'ckpt').exists()\n"
    blanked = code_only_pieces([test, helper])
    assert "--resume" not in blanked and "main([str(tmp)])" in blanked
    assert blanked.count("\n") == (test + "\n" + helper).count("\n")
