"""The tests column, file by file: which test files must be judged again, and the helpers a
test file's tests reach by name in the other files.

A test file's tests are a function of its own text and of the helpers they reach by name in
the other files read (conftest fixtures, helper modules: the first file in the listing that
defines a name at its top level is the one used, and a file's own definitions win). So each
file's record in the column's index (auditor.colcache.file_index) keeps the sha256 of its text
and, for every name its tests asked the other files for, which file answered with the sha256
of that file's text, or that none did. A record is used only when all of these are what they
are today; otherwise the file is parsed and judged again. A file that cannot be parsed is kept
as its error; one that cannot be read is read again at every audit.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from auditor import safeio
from auditor.evidence.behaviour import Helper
from auditor.evidence.code.sources import MAX_SOURCE_BYTES

if TYPE_CHECKING:
    from auditor.colcache import FileIndex

Identity = tuple[str, str]  # (the file that defines a name, the sha256 of its text)
TopHelpers = Callable[[ast.Module, str, str], dict[str, Helper]]
JudgeFile = Callable[[str, ast.Module, str, "Helpers"], tuple[Any, ...]]


class Others:
    """The top-level helpers of every file read, by name (the first file to define a name wins),
    built from each file's syntax tree only when a helper is asked for."""

    def __init__(self, owner: dict[str, Identity], texts: dict[str, str], trees: dict[str, ast.Module],
                 top_helpers: TopHelpers) -> None:
        self.owner, self._texts, self._trees, self._top_helpers = owner, texts, trees, top_helpers
        self._helpers: dict[str, dict[str, Helper]] = {}

    def get(self, name: str) -> Helper | None:
        found = self.owner.get(name)
        if found is None:
            return None
        rel = found[0]
        if rel not in self._helpers:
            self._helpers[rel] = self._top_helpers(self.tree(rel), self._texts[rel], rel)
        return self._helpers[rel][name]

    def tree(self, rel: str) -> ast.Module:
        """The syntax tree of a file read (one that parsed before: its record has no error)."""
        if rel not in self._trees:
            self._trees[rel] = safeio.parse_python(self._texts[rel], shown=rel)
        return self._trees[rel]


class Helpers:
    """The helpers a test file's tests call by name: `first` (a test class's own methods), then the
    file's own, then the other files'; every name asked of the other files is noted in `asked`."""

    def __init__(self, own: dict[str, Helper], others: Others, asked: dict[str, Identity | None],
                 first: dict[str, Helper] | None = None) -> None:
        self._own, self._others, self.asked, self._first = own, others, asked, first or {}

    def get(self, name: str) -> Helper | None:
        found = self._first.get(name) or self._own.get(name)
        if found is not None:
            return found
        self.asked[name] = self._others.owner.get(name)
        return self._others.get(name)

    def over(self, first: dict[str, Helper]) -> Helpers:
        """These helpers with `first` looked up before them (noting into the same `asked`)."""
        return Helpers(self._own, self._others, self.asked, {**self._first, **first}) if first else self


def _usable(record: Any, sha: str) -> bool:
    """A record of this very text, in the shape this module writes."""
    return (record.__class__ is dict and record.get("sha") == sha and record.get("asked").__class__ is dict
            and record.get("top").__class__ is tuple and record.get("tests").__class__ is tuple
            and (record.get("error") is None or record["error"].__class__ is str))


def judge_files(root: Path, paths: list[Path], index: FileIndex, is_test_file: Callable[[str], bool],
                top_helpers: TopHelpers, judge_file: JudgeFile) -> tuple[tuple[str, ...], tuple[str, ...],
                                                                         tuple[Any, ...]]:
    """(test and conftest files read, errors, the tests judged) of the listed files, each test
    file judged again only when its record in `index` no longer holds."""
    within = safeio.project(root)
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}  # rel -> the one error of a file that cannot be read or parsed
    trees: dict[str, ast.Module] = {}
    records: dict[str, dict] = {}
    fresh: set[str] = set()  # files whose record is made now: their tests are judged
    for p in paths:
        rel = p.relative_to(root).as_posix()
        try:
            texts[rel] = safeio.read_text(p, within=within, cap=MAX_SOURCE_BYTES, shown=rel)
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed since the listing
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO: one entry, read again next time
            errors[rel] = safeio.describe(exc, rel)
            continue
        sha = safeio.text_sha256(texts[rel])
        kept = index.get(rel)
        records[rel] = kept if _usable(kept, sha) else _parsed(rel, texts[rel], sha, trees, top_helpers)
        if records[rel] is not kept:
            fresh.add(rel)
        if records[rel]["error"] is not None:
            errors[rel] = records[rel]["error"]
    owner: dict[str, Identity] = {}
    for rel, record in records.items():
        for name in record["top"] if record["error"] is None else ():
            owner.setdefault(name, (rel, record["sha"]))
    others = Others(owner, texts, trees, top_helpers)
    tests: list[Any] = []
    for rel, record in records.items():
        if record["error"] is None and is_test_file(rel):
            if rel in fresh or any(owner.get(name) != was for name, was in record["asked"].items()):
                tree = others.tree(rel)
                helpers = Helpers(top_helpers(tree, texts[rel], rel), others, {})
                record = records[rel] = {**record, "tests": judge_file(rel, tree, texts[rel], helpers),
                                         "asked": helpers.asked}
                fresh.add(rel)
            tests += record["tests"]
        if rel in fresh:
            index.put(rel, record)
    index.save(list(records))
    files = tuple(r for r, rec in records.items() if rec["error"] is None
                  and (is_test_file(r) or Path(r).name == "conftest.py"))
    listed = [p.relative_to(root).as_posix() for p in paths]
    return files, tuple(errors[r] for r in listed if r in errors), tuple(tests)


def _parsed(rel: str, text: str, sha: str, trees: dict[str, ast.Module], top_helpers: TopHelpers) -> dict:
    """A new record of a file: its error, or its top-level helpers' names (its tests: not judged yet)."""
    try:
        trees[rel] = safeio.parse_python(text, shown=rel)
    except SyntaxError as exc:
        return {"sha": sha, "error": f"{rel}:{exc.lineno}: syntax error: {exc.msg}", "top": (), "asked": {},
                "tests": ()}
    except safeio.READ_ERRORS as exc:  # a 100k-term expression: one entry
        return {"sha": sha, "error": safeio.describe(exc, rel), "top": (), "asked": {}, "tests": ()}
    return {"sha": sha, "error": None, "top": tuple(top_helpers(trees[rel], text, rel)), "asked": {}, "tests": ()}
