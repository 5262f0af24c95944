"""Escaping text from the audited project for each output format, in one place.

Everything a report shows from the project (file names, test names, log lines, event
fields, rule titles) may hold control characters, terminal escape sequences,
bidirectional overrides, Markdown or HTML. Each renderer passes such text through the
function for its format:

| format | function | what it does |
|---|---|---|
| terminal, plain text | `terminal_text` | control characters and bidi overrides become visible escapes (`\\x1b`) |
| Markdown | `md_text`, `md_code` | the above, then backslash before `` \\ `` `` ` `` `|`, entities for `& < >`, one line |
| HTML (text and attributes) | `html_text` | the above visible escapes, then `html.escape` with quotes |
| XML (JUnit) | `xml_text` | the visible escapes: XML 1.0 cannot hold C0 characters even as references |
| JSON, SARIF | `json_document` | the finished JSON text: DEL, C1 and bidi characters written as `\\u` escapes (the value is unchanged), lone surrogates as U+FFFD |
"""

from __future__ import annotations

import re
from typing import Any

from auditor import rxcache
from auditor.safeio import needs_visible, visible


def terminal_text(text: Any) -> str:
    """Text safe to print on a terminal: no escape sequence, no bell, no reordering."""
    text = str(text)
    return visible(text) if needs_visible(text) else text


def xml_text(text: Any) -> str:
    """Text an XML 1.0 document can hold (the serializer then escapes `& < > "`)."""
    return terminal_text(text)


def md_text(text: Any) -> str:
    """Text for Markdown, on one line: nothing in it is markup, a table cell stays one cell."""
    text = terminal_text(text)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "\\\\"), ("`", "\\`"), ("|", "\\|")):
        text = text.replace(a, b)
    return " ".join(text.split())


def md_code(text: Any) -> str:
    """`text` as one inline code span that reads back exactly (on one line).

    Inside a code span backslash escapes and entities are literal, so md_text would show
    its backslashes; instead the fence is one backtick longer than the longest run of
    backticks in the text, padded with a space when the text starts or ends with one.
    """
    text = " ".join(terminal_text(text).split())
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(text: Any) -> str:
    """Text for HTML element content or a quoted attribute value."""
    import html  # here: its entity table is loaded only for the HTML report

    return html.escape(terminal_text(text), quote=True)


_JSON_UNSAFE = rxcache.compile("[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = rxcache.compile("[\ud800-\udfff]")


def json_document(text: str) -> str:
    """A JSON document (from json.dumps, ensure_ascii=False) with no raw DEL, C1 or bidi character.

    json.dumps already escapes C0 characters; these are escaped the same way, so every
    string keeps its value. Lone surrogates (undecodable file names) cannot be encoded and
    become U+FFFD.
    """
    text = _SURROGATE.sub("\ufffd", text)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["html_text", "json_document", "md_code", "md_text", "terminal_text", "xml_text"]
