"""Text from a hostile file made safe to show in a terminal, Markdown or HTML: control characters
and bidirectional overrides become visible escapes. `auditor.safeio` re-exports both functions,
so a reader that took text through safeio shows it through safeio too."""

from __future__ import annotations

import re
from functools import lru_cache

_BIDI = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}


def visible(text: str, keep: str = "\n\t") -> str:
    """Text from a hostile file made safe to show: control characters (C0 but `keep`, DEL, C1) and
    bidirectional overrides become visible escapes (`\\x1b`, `\\u202e`), so no terminal escape
    sequence or reordering reaches a reader; lone surrogates and non-characters become U+FFFD."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in keep:
            out.append(ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def needs_visible(text: str, keep: str = "\n\t") -> bool:
    """Whether `visible` would change `text`: one regex search (the common clean case costs
    little on every string a renderer shows)."""
    return _changed_by_visible(keep).search(text) is not None


@lru_cache(maxsize=8)
def _changed_by_visible(keep: str) -> re.Pattern[str]:
    """A character class of exactly what `visible` rewrites, but `keep` (a class cannot backtrack)."""
    codes = {*range(0x20), *range(0x7F, 0xA0), *_BIDI, *range(0xD800, 0xE000), 0xFFFE, 0xFFFF}
    codes -= {ord(c) for c in keep}
    ranges, start, prev = [], None, None
    for code in sorted(codes):
        if start is None or code != prev + 1:
            if start is not None:
                ranges.append((start, prev))
            start = code
        prev = code
    if start is None:
        return re.compile("(?!)")  # `keep` holds everything: nothing is changed
    ranges.append((start, prev))
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")
