"""Tests evidence: test functions found by AST, joined with outcomes from JUnit XML files.

A test "drives the training entry point" when it (or a helper defined in its file or a
conftest.py, one level down) calls the entry function, invokes the CLI's train command, or
runs the training command in a subprocess. Tests are read, never imported or run.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import safeio
from auditor.config import ProjectConfig
from auditor.evidence.code.scan import MAX_SOURCE_BYTES
from auditor.evidence.code.syntax import dotted, walk
from auditor.junit import JUnitError, TestCaseResult, read_junit

_SUBPROCESS = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
               "subprocess.check_output", "os.system", "os.execv", "os.execvp", "asyncio.create_subprocess_exec",
               "pexpect.spawn"}
# worst first: a test run several times (parameters) takes its worst outcome
_OUTCOME_RANK = {"timed_out": 5, "error": 4, "failed": 3, "passed": 2, "skipped": 1}



@functools.lru_cache(maxsize=8)
def _lines_keepends(text: str) -> tuple[str, ...]:
    parts = re.split(r"(\r\n|\r|\n)", text)
    return tuple(a + b for a, b in zip(parts[0::2], parts[1::2] + [""]))


def _segment(text: str, node: ast.AST) -> str | None:
    """ast.get_source_segment, with the file split once (it re-splits the whole file per call,
    which was half the time of an audit of this repository)."""
    end_lineno, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_lineno is None or end_col is None or getattr(node, "lineno", None) is None:
        return None
    first, last = node.lineno - 1, end_lineno - 1
    lines = _lines_keepends(text)
    if last >= len(lines):
        return None
    if first == last:
        return lines[first].encode()[node.col_offset:end_col].decode()
    head = lines[first].encode()[node.col_offset:].decode()
    tail = lines[last].encode()[:end_col].decode()
    return "".join((head, *lines[first + 1:last], tail))

@dataclass(frozen=True)
class TestFunction:
    id: str  # pytest node id: path::Class::name
    name: str
    file: str
    line: int
    class_name: str | None
    markers: tuple[str, ...]
    timeout_s: float | None
    drives_entry: bool
    drive: str  # how it drives the entry point (source excerpt), "" when it does not
    drive_line: int | None
    asserts: int  # assert statements, pytest.raises, self.assert*, *.assert_* calls
    calls: tuple[str, ...]  # short names of everything it calls (helpers included)
    text: str  # source of the test and the helpers it calls, for keyword search
    outcome: str | None = None  # passed | failed | error | skipped | timed_out; None: no JUnit result
    duration_s: float | None = None
    message: str = ""
    results: tuple[str, ...] = ()  # JUnit case ids joined to it

    def mentions(self, keyword: str) -> bool:
        return keyword.lower() in self.text.lower()


@dataclass
class TestsEvidence:
    root: Path
    test_dir: str
    files: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    tests: tuple[TestFunction, ...] = ()
    junit_files: tuple[str, ...] = ()
    junit_errors: tuple[str, ...] = ()
    unmatched_results: tuple[str, ...] = ()
    entry_function: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.files)

    def named(self, name: str) -> list[TestFunction]:
        return [t for t in self.tests if t.name == name]


def collect(config: ProjectConfig) -> TestsEvidence:
    root = config.root
    test_dir = config.tests
    entry_point = config.entry_point
    main_module = config.main_module
    entry_file, _, entry_func = entry_point.partition(":")
    entry_name = entry_func.split(".")[-1]
    package = Path(main_module).parts[0] if len(Path(main_module).parts) > 1 else Path(main_module).stem
    ev = TestsEvidence(root=root, test_dir=test_dir, entry_function=entry_name)
    base = root / test_dir
    paths = []
    if base.is_dir():
        paths = sorted(p for p in base.rglob("*.py") if ".venv" not in p.parts and "__pycache__" not in p.parts)
    elif base.is_file():
        paths = [base]
    paths = [p for p in paths if not _ignored(p, base)]
    trees: dict[str, tuple[ast.Module, str]] = {}
    errors = []
    for p in paths:
        rel = p.relative_to(root).as_posix()
        try:
            text = safeio.read_text(p, within=safeio.project(root), cap=MAX_SOURCE_BYTES, shown=rel)
            trees[rel] = (safeio.parse_python(text, shown=rel), text)
        except SyntaxError as exc:
            errors.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed since the listing
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO, a 100k-term expression: one entry
            errors.append(safeio.describe(exc, rel))
    ev.files = tuple(trees)
    ev.errors = tuple(errors)

    # helpers: module-level functions and classes of every file under the test folder (helper
    # modules, conftest fixtures), by name; a test file's own definitions win over others
    shared: dict[str, _Helper] = {}
    for rel, (tree, text) in trees.items():
        aliases = _aliases(tree)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not (
                    node.name.startswith("test") or node.name.startswith("Test")):
                shared.setdefault(node.name, _Helper(node, text, aliases, rel))

    judge = _Judge(entry_name, Path(entry_file).name, package)
    tests: list[TestFunction] = []
    for rel, (tree, text) in trees.items():
        name = Path(rel).name
        if not (name.startswith("test_") or name.endswith("_test.py")):
            continue
        aliases = _aliases(tree)
        helpers = dict(shared)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not (
                    node.name.startswith("test") or node.name.startswith("Test")):
                helpers[node.name] = _Helper(node, text, aliases, rel)
        module_marks = _module_marks(tree, aliases)
        for cls, node in _test_nodes(tree):
            tests.append(judge.test(rel, text, aliases, cls, node, helpers, module_marks))
    ev.tests = tuple(tests)
    ev.files = tuple(r for r in ev.files if Path(r).name.startswith("test_") or Path(r).name.endswith("_test.py")
                     or Path(r).name == "conftest.py")
    _join_junit(ev, config, root)
    return ev


def _collect_ignore(conftest: Path) -> list[str]:
    """`collect_ignore` / `collect_ignore_glob` literals of a conftest.py, as pytest would honour them."""
    try:
        st = conftest.stat()
    except OSError:
        return []
    return list(_collect_ignore_of(str(conftest), st.st_mtime_ns, st.st_size))


@functools.lru_cache(maxsize=64)
def _collect_ignore_of(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    # asked once for every test file below the conftest: parsed once per version of the file
    try:
        text = safeio.read_text(path, within=safeio.Root(Path(path).parent, "the tests folder"), cap=MAX_SOURCE_BYTES)
        tree = safeio.parse_python(text, shown=path)
    except (SyntaxError, *safeio.READ_ERRORS):
        return ()
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("collect_ignore",
                                                "collect_ignore_glob") for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                out += [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return tuple(out)


def _ignored(path: Path, base: Path) -> bool:
    """True when a conftest.py between `base` and `path` tells pytest not to collect `path`."""
    for parent in [base, *[base / Path(*path.relative_to(base).parts[:i]) for i in range(1, len(
            path.relative_to(base).parts))]]:
        conftest = parent / "conftest.py"
        if conftest.is_file() and conftest != path:
            rel = path.relative_to(parent)
            if any(rel.match(g) or Path(*rel.parts[:1]).match(g) or fnmatch.fnmatch(rel.as_posix(), g)
                   for g in _collect_ignore(conftest)):
                return True
    return False


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Imported names of a file -> what they stand for (kept on the tree: asked twice per file)."""
    cached = getattr(tree, "_audit_aliases", None)
    if cached is not None:
        return cached
    out: dict[str, str] = {}
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}" if node.module else a.name
    tree._audit_aliases = out  # type: ignore[attr-defined]
    return out


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(tree: ast.AST) -> list[ast.AST]:
    """The statements of a tree (with the except handlers and match cases that hold some), in
    ast.walk's order: an import is a statement, and statements are only ever children of
    these, so the expressions, two thirds of the nodes, need not be walked to find them all."""
    out = [tree]
    i = 0
    while i < len(out):
        n = out[i]
        i += 1
        for name in n._fields:
            value = getattr(n, name, None)
            if value.__class__ is list:
                out += [item for item in value if isinstance(item, _BLOCKS)]
    return out


def _test_nodes(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield None, node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    yield node, sub


def _marks(decorators: list[ast.AST], aliases: dict[str, str]) -> list[tuple[str, ast.AST]]:
    out = []
    for d in decorators:
        target = d.func if isinstance(d, ast.Call) else d
        name = dotted(target, aliases)
        if ".mark." in f".{name}" or name.startswith("pytest.mark"):
            out.append((name.split(".")[-1], d))
    return out


def _module_marks(tree: ast.Module, aliases: dict[str, str]) -> list[tuple[str, ast.AST]]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            return _marks(values, aliases)
    return []


def _short(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class _Helper:
    node: ast.AST
    text: str
    aliases: dict[str, str]
    file: str


@dataclass(frozen=True)
class _Facts:
    """What the judge asks of a test or helper node, from one walk of it."""

    calls: tuple[tuple[str, str, ast.Call], ...]  # (dotted name, short name, node), in ast.walk order
    strings: tuple[str, ...]  # string constants
    asserts: int  # assert statements, pytest.raises / warns / fail, *assert* calls


_ASSERT_CALLS = ("pytest.raises", "pytest.warns", "pytest.fail")


def _facts(node: ast.AST, aliases: dict[str, str]) -> _Facts:
    """The node's calls, strings and assert count, kept on the node: a helper shared by many
    tests, and each test's closure, would otherwise be walked once per question per test.
    `aliases` are always those of the node's own file, so the node alone is the key."""
    cached = getattr(node, "_audit_facts", None)
    if cached is not None:
        return cached
    calls: list[tuple[str, str, ast.Call]] = []
    strings: list[str] = []
    asserts = 0
    for sub in walk(node):
        if isinstance(sub, ast.Call):
            name = dotted(sub.func, aliases)
            short = name.split(".")[-1]
            calls.append((name, short, sub))
            if name in _ASSERT_CALLS or short.startswith("assert"):
                asserts += 1
        elif isinstance(sub, ast.Assert):
            asserts += 1
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            strings.append(sub.value)
    facts = _Facts(tuple(calls), tuple(strings), asserts)
    node._audit_facts = facts  # type: ignore[attr-defined]
    return facts


HELPER_DEPTH = 3  # test -> helper -> helper -> helper


class _Judge:
    """Decides, for one test function, whether it drives the entry point and asserts."""

    def __init__(self, entry_name: str, entry_file: str, package: str):
        self.entry_name, self.entry_file, self.package = entry_name, entry_file, package

    @staticmethod
    def _strings(node: ast.AST, aliases: dict[str, str]) -> tuple[str, ...]:
        return _facts(node, aliases).strings

    def _runs_command(self, strings: list[str]) -> bool:
        joined = " ".join(strings)
        if self.entry_file and self.entry_file in joined:
            return True
        words = set(re.findall(r"[A-Za-z0-9_.\-]+", joined))
        return self.package in words and "train" in words

    def _drive(self, node: ast.AST, text: str, aliases: dict[str, str],
               strings: list[str] | None = None) -> tuple[str, int | None]:
        strings = list(self._strings(node, aliases)) if strings is None else strings
        runs_command: bool | None = None  # the same for every call of this node: decided once, when asked
        for name, short, sub in _facts(node, aliases).calls:
            if short == self.entry_name:
                return f"calls {_short(_segment(text, sub))}", sub.lineno
            if name in _SUBPROCESS or name.startswith("subprocess."):
                if runs_command is None:
                    runs_command = self._runs_command(strings)
                if runs_command:
                    return f"runs the training command: {_short(_segment(text, sub))}", sub.lineno
            if short == "invoke" and "train" in self._strings(sub, aliases):  # CliRunner().invoke(main, ["train", ...])
                return f"invokes the CLI train command: {_short(_segment(text, sub))}", sub.lineno
        return "", None

    @staticmethod
    def _asserts(node: ast.AST, aliases: dict[str, str]) -> int:
        return _facts(node, aliases).asserts

    def test(self, rel, text, aliases, cls, node, helpers, module_marks) -> TestFunction:
        marks = module_marks + (_marks(cls.decorator_list, aliases) if cls else []) + _marks(node.decorator_list, aliases)
        timeout = None
        for name, d in marks:
            if name == "timeout" and isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant):
                if isinstance(d.args[0].value, (int, float)):
                    timeout = float(d.args[0].value)
        called = {short for _, short, _ in _facts(node, aliases).calls}
        fixtures = {a.arg for a in node.args.args + node.args.kwonlyargs} - {"self", "cls"}
        # the closure: the test, the helpers and fixtures it uses, and theirs, a few levels down
        own = _Helper(node, text, aliases, rel)
        closure: list[tuple[_Helper, str]] = [(own, "")]
        seen = {id(node)}
        frontier = [(own, "", called | fixtures)]
        for _ in range(HELPER_DEPTH):
            nxt = []
            for _h, path, names in frontier:
                for name in sorted(names):
                    h = helpers.get(name)
                    if h is None or id(h.node) in seen:
                        continue
                    seen.add(id(h.node))
                    via = f"{path} -> {name}" if path else name
                    closure.append((h, via))
                    sub_called = {short for _, short, _ in _facts(h.node, h.aliases).calls}
                    if isinstance(h.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        sub_called |= {a.arg for a in h.node.args.args}
                    nxt.append((h, via, sub_called))
            frontier = nxt
        strings = [x for h, _ in closure for x in self._strings(h.node, h.aliases)]
        drive, drive_line, asserts = "", None, 0
        for h, via in closure:
            if not drive:
                drive, drive_line = self._drive(h.node, h.text, h.aliases, strings)
                if drive and via:
                    drive = f"via {via}: {drive}"
                    drive_line = drive_line if h.file == rel else node.lineno
            asserts += self._asserts(h.node, h.aliases)
        # keyword search: the test and the helpers of its own file that it calls directly
        mention = [own] + [h for h, via in closure if via and " -> " not in via and h.file == rel
                           and via in called]
        source = "\n".join(_segment(h.text, h.node) or "" for h in mention)
        test_id = f"{rel}::{cls.name}::{node.name}" if cls else f"{rel}::{node.name}"
        return TestFunction(
            id=test_id, name=node.name, file=rel, line=node.lineno, class_name=cls.name if cls else None,
            markers=tuple(dict.fromkeys(m for m, _ in marks)), timeout_s=timeout, drives_entry=bool(drive),
            drive=drive, drive_line=drive_line, asserts=asserts, calls=tuple(sorted(called)), text=source)


def _join_junit(ev: TestsEvidence, config: ProjectConfig, root: Path) -> None:
    patterns = config.junit
    files: list[Path] = []
    pattern_of: dict[Path, str] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        found = sorted(Path(p) for p in glob.glob(full, recursive=True))
        files.extend(found)
        pattern_of.update((p, pattern) for p in found if p not in pattern_of)
    cases: list[tuple[str, TestCaseResult]] = []
    errors = []
    for path in dict.fromkeys(files):
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = str(path)
        within = None if Path(pattern_of[path]).is_absolute() else safeio.project(root)  # --junit: anywhere
        try:
            cases.extend((rel, c) for c in read_junit(path, within))
        except JUnitError as exc:
            errors.append(str(exc).replace(str(path), rel))
            continue
        ev.junit_files += (rel,)
    ev.junit_errors = tuple(errors)
    by_test: dict[str, list[TestCaseResult]] = {}
    unmatched = []
    for _rel, case in cases:
        match = _match(ev.tests, case)
        if match is None:
            unmatched.append(case.id)
        else:
            by_test.setdefault(match.id, []).append(case)
    ev.unmatched_results = tuple(unmatched)
    joined = []
    for t in ev.tests:
        results = by_test.get(t.id)
        if not results:
            joined.append(t)
            continue
        worst = max(results, key=lambda c: _OUTCOME_RANK.get(c.outcome, 0))
        if all(c.outcome == "skipped" for c in results):
            worst = results[0]
        elif worst.outcome == "skipped":
            worst = next(c for c in results if c.outcome != "skipped")
        joined.append(_replace(t, outcome=worst.outcome, duration_s=round(sum(c.duration_s for c in results), 3),
                               message=worst.message[:500], results=tuple(c.id for c in results)))
    ev.tests = tuple(joined)


def _replace(t: TestFunction, **changes: Any) -> TestFunction:
    from dataclasses import replace

    return replace(t, **changes)


def _match(tests: tuple[TestFunction, ...], case: TestCaseResult) -> TestFunction | None:
    base = case.name.split("[", 1)[0]
    named = [t for t in tests if t.name == base]
    if not named:
        return None
    cls = case.classname
    for t in named:
        module = t.file[:-3].replace("/", ".")
        expected = f"{module}.{t.class_name}" if t.class_name else module
        if cls == expected or expected.endswith("." + cls) or cls.endswith("." + expected):
            return t
    for t in named:  # classname relative to a different rootdir: match on the tail
        tail = Path(t.file).stem + (f".{t.class_name}" if t.class_name else "")
        if cls == tail or cls.endswith("." + tail):
            return t
    return named[0] if len(named) == 1 and not cls else None
