"""Small helpers over Python syntax trees and source text, shared by the scan, the analysis, the
framework adapters and the tests column."""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from typing import Iterable, Sequence

from auditor.astnodes import FIELDS, LEAVES, children, node_fields


def dotted(node: ast.AST, aliases: dict[str, str]) -> str:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value, aliases)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func, aliases)}()"
    return "<expr>"


def walk(node: ast.AST) -> list[ast.AST]:
    """ast.walk's nodes in ast.walk's order (breadth first), less the LEAVES.

    Less than half the time of ast.walk, whose two nested generators per node were most of the
    cost of an audit of this repository; only the fields that can hold nodes are read (astnodes).
    """
    out = [node]
    fields_of = FIELDS
    i = 0
    while i < len(out):
        n = out[i]
        i += 1
        fields = fields_of.get(n.__class__)
        for name in fields if fields is not None else node_fields(n.__class__):
            value = getattr(n, name, None)
            if value.__class__ is list:
                if value:
                    out += [item for item in value if isinstance(item, ast.AST) and not isinstance(item, LEAVES)]
            elif isinstance(value, ast.AST) and not isinstance(value, LEAVES):
                out.append(value)
    return out


def names_in(node: ast.AST | None) -> frozenset[str]:
    """Identifiers and attribute names mentioned in an expression.

    Kept on the node: the taint analysis asks for the same expressions a dozen times each.
    """
    if node is None:
        return frozenset()
    cached = getattr(node, "_audit_names", None)
    if cached is not None:
        return cached
    out: set[str] = set()
    for sub in walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.add(sub.attr)
        elif isinstance(sub, ast.arg):
            out.add(sub.arg)
    node._audit_names = frozenset(out)  # type: ignore[attr-defined]
    return node._audit_names  # type: ignore[attr-defined]


def strings_in(node: ast.AST) -> tuple[str, ...]:
    """The string constants of an expression, in ast.walk order; kept on the node (a scan asks
    each assigned value for a progress file's name and a liveness file's)."""
    cached = getattr(node, "_audit_strings", None)
    if cached is None:
        cached = node._audit_strings = tuple(  # type: ignore[attr-defined]
            sub.value for sub in walk(node) if sub.__class__ is ast.Constant and sub.value.__class__ is str)
    return cached


def calls_in(node: ast.AST, aliases: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(dotted name, short name) of every call in an expression, in ast.walk order.

    Kept on the node (its file's aliases are always the ones given): the taint analysis asks
    about the same assignments on every pass of its fixed point.
    """
    cached = getattr(node, "_audit_calls", None)
    if cached is not None:
        return cached
    out = []
    for sub in walk(node):
        if isinstance(sub, ast.Call):
            name = dotted(sub.func, aliases)
            out.append((name, name.split(".")[-1]))
    node._audit_calls = tuple(out)  # type: ignore[attr-defined]
    return node._audit_calls  # type: ignore[attr-defined]


def source_segment(lines: list[str], node: ast.AST | None, limit: int = 40) -> str:
    """The source of `node` from pre-split lines (ast.get_source_segment re-splits the file per call).

    Column offsets are UTF-8 byte offsets; at most `limit` lines are returned.
    """
    if node is None or getattr(node, "end_lineno", None) is None:
        return ""
    first, last = node.lineno - 1, min(node.end_lineno - 1, node.lineno - 1 + limit)
    if first >= len(lines):
        return ""
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode(errors="replace")
    parts = [lines[first].encode()[node.col_offset:].decode(errors="replace")]
    parts += lines[first + 1:last]
    if last < len(lines):
        end = lines[last].encode()[:node.end_col_offset].decode(errors="replace") if last == node.end_lineno - 1 \
            else lines[last]
        parts.append(end)
    return "\n".join(parts)


def short_text(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def own_nodes(node: ast.AST | None) -> Iterable[ast.AST]:
    """Nodes of a function body, not descending into nested functions or classes."""
    if node is None:
        return
    stack = children(node)
    while stack:
        sub = stack.pop()
        yield sub
        if not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(children(sub))


def option_name(text: str) -> str:
    """`--checkpoint-every` -> `checkpoint_every`: a CLI option as the parameter it fills."""
    return text.lstrip("-").replace("-", "_")


_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}
# line breaks str.splitlines knows and the tokenizer (which splits at "\n" only) does not
_OTHER_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def code_only(text: str) -> str:
    """`text` (Python source, possibly several functions joined) with its comments and its
    statement-level strings (docstrings) blanked; unchanged when it cannot be tokenized."""
    found = _cuts(text)
    return text if found is None else _blank(text, found[0])


def code_only_pieces(pieces: Sequence[str]) -> str:
    """code_only("\n".join(pieces)), each piece blanked once however many closures hold it (a
    helper's source is in many tests'). A piece is blanked by itself where that cannot differ from
    blanking it in any joined text: it tokenizes alone, leaving nothing open for the next piece (a
    bracket, a string, a quote the tokenizer could not close, a last line ended by a backslash),
    its first line of code starts at column 0 (where the joined text's indentation goes back to 0,
    as a text's starts at 0), and it breaks lines at "\n" only. Else the joined text is blanked."""
    blanked = [_piece_code_only(p) for p in pieces]
    if any(b is None for b in blanked):
        return code_only("\n".join(pieces))
    return "\n".join(blanked)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1024)
def _piece_code_only(piece: str) -> str | None:
    if piece.endswith("\\") or not _OTHER_BREAKS.isdisjoint(piece):
        return None  # a backslash at its end would carry its last line on into the next piece's first
    found = _cuts(piece)
    return _blank(piece, found[0]) if found is not None and found[1] else None


Cut = tuple[tuple[int, int], tuple[int, int]]


def _cuts(text: str) -> tuple[list[Cut], bool] | None:
    """The (start, end) of the comments and statement-level strings, and whether the text stands
    alone: its first line of code is not indented and the tokenizer met nothing it could not read
    (an unclosed quote is read up to the end of its line, or past it after a backslash, leaving the
    next text's first token in mid-statement). None when the text cannot be tokenized."""
    cuts: list[Cut] = []
    previous = tokenize.NEWLINE
    indented: bool | None = None
    unread = False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and previous in _STATEMENT_START):
                cuts.append((tok.start, tok.end))
            if tok.type not in (tokenize.COMMENT, tokenize.NL):
                previous = tok.type
                if indented is None:
                    indented = tok.type == tokenize.INDENT
                unread = unread or tok.type == tokenize.ERRORTOKEN
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return cuts, not indented and not unread


def _blank(text: str, cuts: list[Cut]) -> str:
    lines = text.splitlines(keepends=True)
    for (row, col), (end_row, end_col) in reversed(cuts):
        if row == end_row:
            line = lines[row - 1]
            lines[row - 1] = line[:col] + " " * (end_col - col) + line[end_col:]
        else:
            lines[row - 1] = lines[row - 1][:col] + "\n"
            for r in range(row, end_row - 1):
                lines[r] = "\n"
            lines[end_row - 1] = " " * end_col + lines[end_row - 1][end_col:]
    return "".join(lines)
