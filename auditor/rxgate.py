"""A first-character gate for a regular expression: the same matches, found sooner.

Python's `re` tries a pattern at every position of the text. When the pattern begins with a
literal, or a class or alternation of literals, it skips ahead to where one could start; when it
begins with a look-behind or a word boundary (`(?<![a-z0-9])(?:ckpt|step)...`, `\\b(?:len|count)\\(`)
it cannot, and runs the whole alternation at each position: the auditor's slowest patterns, on the
sources of a project's tests, are of this kind.

`gate(pattern, flags)` prefixes such a pattern with a look-ahead for the characters a match can
begin with, `(?=[...])`, read off `re`'s own parse of the pattern: zero-width steps (look-arounds,
boundaries, anchors) are passed over, and a step that can match nothing adds what may follow it.
A match begins with one of those characters, so the look-ahead holds wherever the pattern
matches, and the gated pattern matches exactly where, and what, the pattern does (its groups are
untouched: the gate captures nothing). A pattern whose matches can begin with any character, or
be empty, or whose start cannot be read (back-references, a flag set inside it) is returned as
it is. tests/auditor/test_rxgate.py holds gated and ungated to the same matches.
"""

from __future__ import annotations

import re
from typing import Any

try:
    from re import _constants as _c
    from re import _parser
except ImportError:  # pragma: no cover - not CPython: no gate
    _parser = None

_CLASS_ESCAPES = {} if _parser is None else {
    _c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W",
}
_MAX_DEPTH = 50


class _Unknown(Exception):
    """The first characters of this pattern cannot be told: no gate."""


def gate(pattern: str, flags: int = 0) -> str:
    """`pattern` behind a look-ahead for the characters its matches begin with (or unchanged)."""
    if _parser is None or flags & re.VERBOSE or pattern.startswith("(?") and pattern[2:3].isalpha():
        return pattern  # inline flags must lead; a verbose pattern's last comment would swallow the ")"
    try:
        parsed = _parser.parse(pattern, flags)
        if not _unskippable(parsed.data, flags):
            return pattern
        items, nullable = _first(parsed.data, 0)
    except (_Unknown, re.error, RecursionError):
        return pattern
    if nullable or not items:
        return pattern
    return "(?=[" + "".join(sorted(items)) + "])(?:" + pattern + ")"


def _unskippable(sequence: Any, flags: int) -> bool:
    """Whether `re` runs much of the pattern at every position: it begins with a look-around, a
    word boundary, an optional repeat, or three or more alternatives that are not all literals of
    fixed case (or one alternative that begins so). A gate would only cost a pattern anchored at
    the start (`^`, `\\A`: tried at one position) or one whose first step fails fast."""
    while sequence and sequence[0][0] is _c.SUBPATTERN and not sequence[0][1][1] and not sequence[0][1][2]:
        sequence = sequence[0][1][3].data
    if not sequence:
        return False
    op, av = sequence[0]
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _zero_width_lead(op, av)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        return av[0] == 0
    if op is _c.BRANCH:
        cased = flags & re.IGNORECASE
        leads = [alt.data[0] if alt.data else None for alt in av[1]]
        if any(lead is not None and _zero_width_lead(*lead) for lead in leads):
            return True
        return len(leads) >= 3 and any(lead is None or lead[0] is not _c.LITERAL or cased and chr(lead[1]).lower() !=
                                       chr(lead[1]).upper() for lead in leads)
    return False


def _zero_width_lead(op: Any, av: Any) -> bool:
    """A look-around or a word boundary (not an anchor): re can skip ahead for neither."""
    return op in (_c.ASSERT, _c.ASSERT_NOT) or op is _c.AT and av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY)


def _first(sequence: Any, depth: int) -> tuple[set[str], bool]:
    """(class items a match of `sequence` can begin with, whether it can match the empty string)."""
    if depth > _MAX_DEPTH:
        raise _Unknown
    out: set[str] = set()
    for op, av in sequence:
        items, nullable = _first_of(op, av, depth + 1)
        out |= items
        if not nullable:
            return out, False
    return out, True


def _first_of(op: Any, av: Any, depth: int) -> tuple[set[str], bool]:
    if op is _c.LITERAL:
        return {_literal(av)}, False
    if op is _c.IN:
        return _class(av), False
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return set(), True  # zero-width: the match begins with what follows
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unknown  # (?i:...) inside: the gate would read it with the pattern's flags
        return _first(sub.data, depth)
    if op is _c.ATOMIC_GROUP:
        return _first(av.data, depth)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        items, nullable = _first(sub.data, depth)
        return items, nullable or low == 0
    if op is _c.BRANCH:
        out: set[str] = set()
        empty = False
        for alternative in av[1]:
            items, nullable = _first(alternative.data, depth)
            out |= items
            empty = empty or nullable
        return out, empty
    raise _Unknown  # ANY, NOT_LITERAL, back-references, conditionals: any character may begin


def _literal(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isprintable():
        return re.escape(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _class(items: list[tuple[Any, Any]]) -> set[str]:
    out: set[str] = set()
    for op, av in items:
        if op is _c.NEGATE:
            raise _Unknown  # [^...]: nearly any character
        if op is _c.LITERAL:
            out.add(_literal(av))
        elif op is _c.RANGE:
            out.add(_literal(av[0]) + "-" + _literal(av[1]))
        elif op is _c.CATEGORY and av in _CLASS_ESCAPES:
            out.add(_CLASS_ESCAPES[av])
        else:
            raise _Unknown
    return out


class Worded:
    """A case-sensitive pattern searched only in texts that hold one of `words`, the words one of
    which every match of it holds: most texts hold none, and `in` runs at memory speed where the
    pattern would be tried at every position. tests/auditor/test_rxwords.py holds each to its words.
    """

    __slots__ = ("rx", "words")

    def __init__(self, rx: re.Pattern[str], words: tuple[str, ...]) -> None:
        if rx.flags & re.IGNORECASE:
            raise ValueError(f"a worded pattern must not fold case (its words are matched as written): {rx.pattern}")
        self.rx, self.words = rx, words

    @property
    def pattern(self) -> str:
        return self.rx.pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.rx.search(text) if any(word in text for word in self.words) else None

    def findall(self, text: str) -> list[Any]:
        return self.rx.findall(text) if any(word in text for word in self.words) else []
