"""Docs evidence: the requirement documents and where a cited passage sits in them.

A passage is matched against a normalised form of the document: case folded, whitespace
collapsed (line breaks included), Markdown block markers (headings, quotes, list items,
task boxes) and inline emphasis (`*`, backticks, `~~`, and `_` at word edges) removed. The
same normalisation is applied to the passage, so a citation survives re-wrapping and
re-formatting but not a change of wording. markdown-it-py supplies the headings (token
maps give their lines), so every match names the section it sits in. `.cursorrules` and
other plain-text files get the same treatment.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from auditor import rxcache, safeio
from auditor.config import ProjectConfig

_BLOCK_MARKERS = rxcache.compile(r"^\s*(?:>\s*)*(?:#{1,6}\s+|(?:[-*+]|\d+[.)])\s+)?(?:\[[ xX]\]\s+)?")
_INLINE_MARKERS = rxcache.compile(r"[*`]|~~|(?<![\w])_+|_+(?![\w])")
_SPACE = rxcache.compile(r"\s+")


def normalise_line(line: str) -> str:
    """One line in the form passages are compared in."""
    line = _BLOCK_MARKERS.sub("", line, count=1)
    line = _INLINE_MARKERS.sub("", line)
    return _SPACE.sub(" ", line).strip().casefold()


def normalise_text(text: str) -> str:
    """A passage (possibly several lines) in comparison form."""
    parts = (normalise_line(line) for line in text.splitlines())
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Heading:
    """One Markdown heading of a document: its line, level and title."""

    line: int  # 1-based
    level: int
    title: str


@dataclass(frozen=True)
class Document:
    """One requirement document as read from disk."""

    path: str  # as named in the configuration / citation, relative to the project
    exists: bool
    text: str = ""
    decode_errors: bool = False  # bytes that are not UTF-8 were replaced
    error: str = ""  # why it could not be read (a link out of the project, a FIFO, no permission)
    headings: tuple[Heading, ...] = ()
    # the normalised text of the whole document and, for each character, its source line
    flat: str = field(default="", repr=False)
    starts: tuple[int, ...] = field(default=(), repr=False)  # offset in `flat` where each piece starts
    piece_lines: tuple[int, ...] = field(default=(), repr=False)  # 1-based line of each piece

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line_of(self, offset: int) -> int:
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.piece_lines[max(i, 0)]

    def heading_at(self, line: int) -> Heading | None:
        found = None
        for h in self.headings:
            if h.line <= line:
                found = h
            else:
                break
        return found


@dataclass(frozen=True)
class PassageMatch:
    """Where a passage was found: document, 1-based line range, enclosing heading, the text."""

    document: str
    line: int
    end_line: int
    heading: str | None
    excerpt: str


def _headings(text: str) -> tuple[Heading, ...]:
    tokens = MarkdownIt("commonmark").parse(text)
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map is not None:
            title = tokens[i + 1].content if i + 1 < len(tokens) else ""
            out.append(Heading(line=tok.map[0] + 1, level=int(tok.tag[1:]), title=title.strip()))
    return tuple(out)


def parse_document(path: str, text: str, decode_errors: bool = False) -> Document:
    """Build a Document from its text (no file access)."""
    pieces: list[str] = []
    starts: list[int] = []
    lines: list[int] = []
    offset = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        norm = normalise_line(raw)
        if not norm:
            continue
        if pieces:
            offset += 1  # the joining space
        starts.append(offset)
        lines.append(number)
        pieces.append(norm)
        offset += len(norm)
    return Document(
        path=path,
        exists=True,
        text=text,
        decode_errors=decode_errors,
        headings=_headings(text),
        flat=" ".join(pieces),
        starts=tuple(starts),
        piece_lines=tuple(lines),
    )


def read_document(root: Path, path: str) -> Document:
    """Read `path` (inside `root`) through auditor.safeio; a missing file gives exists=False, one
    that cannot be read (a link out of the project, a FIFO, no permission) carries its `error`."""
    try:
        data = safeio.read_bytes(path, within=safeio.project(root), cap=safeio.TEXT_CAP, shown=path)
    except (FileNotFoundError, NotADirectoryError):
        return Document(path=path, exists=False)
    except safeio.READ_ERRORS as exc:
        return Document(path=path, exists=False, error=safeio.describe(exc, path))
    try:
        text, bad = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, bad = data.decode("utf-8", errors="replace"), True
    return parse_document(path, text.lstrip("\ufeff"), decode_errors=bad)


def find_passage(doc: Document, passage: str) -> PassageMatch | None:
    """The first place `passage` occurs in `doc`, or None (missing document included)."""
    if not doc.exists:
        return None
    needle = normalise_text(passage)
    if not needle:
        return None
    at = doc.flat.find(needle)
    if at < 0:
        return None
    first = doc.line_of(at)
    last = doc.line_of(at + len(needle) - 1)
    heading = doc.heading_at(first)
    excerpt = "\n".join(doc.lines[first - 1 : last])
    return PassageMatch(
        document=doc.path,
        line=first,
        end_line=last,
        heading=heading.title if heading else None,
        excerpt=excerpt,
    )


@dataclass
class DocsFacts:
    """The project's requirement documents, read once; others are read on demand."""

    root: Path
    documents: dict[str, Document]
    _statements: dict[str, list] = field(default_factory=dict, repr=False)

    def document(self, path: str) -> Document:
        if path not in self.documents:
            self.documents[path] = read_document(self.root, path)
        return self.documents[path]

    def find(self, document: str, passage: str) -> PassageMatch | None:
        return find_passage(self.document(document), passage)

    def statements(self) -> list:
        """Every sentence of every requirement document (auditor.evidence.requirements.Statement), in order."""
        from auditor.evidence.requirements import statements

        out = []
        for path, doc in self.documents.items():
            if doc.exists:
                if path not in self._statements:
                    self._statements[path] = statements(doc.path, doc.text)
                out += self._statements[path]
        return out

    @property
    def read(self) -> list[str]:
        """The requirement documents that exist."""
        return [p for p, d in self.documents.items() if d.exists]


def collect(config: ProjectConfig) -> DocsFacts:
    """Read every document named in the configuration's `requirements` (configured or discovered)."""
    return DocsFacts(
        root=config.root,
        documents={p: read_document(config.root, p) for p in config.requirements},
    )
