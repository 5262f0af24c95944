"""Tests evidence: test functions found by AST, joined with outcomes from JUnit XML files.

The test files are the configured `tests` paths, else the ones discovery found (test
folders, `test_*.py` and `*_test.py` anywhere outside nested foreign projects). What each
test does is judged in auditor.evidence.behaviour: whether it drives training and which
effects its assertions look at. Tests are read through auditor.safeio, never imported or run.
"""

from __future__ import annotations

import ast
import functools
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import colcache, evcodec, safeio
from auditor.config import ProjectConfig
from auditor.entrypoints import module_names
from auditor.evidence import assertions, behaviour, foundfiles, testfiles, testindex
from auditor.evidence.behaviour import Helper, Targets, facts, segment
from auditor.evidence.code.syntax import dotted
from auditor.junit import JUnitError, TestCaseResult, read_junit

# worst first: a test run several times (parameters) takes its worst outcome
_OUTCOME_RANK = {"timed_out": 5, "error": 4, "failed": 3, "passed": 2, "skipped": 1}
_SKIP_MARKS = {"skip", "skipif", "xfail"}
# unittest's decorators, read as the pytest marks they amount to (skipUnless: a condition, like skipif's)
_UNITTEST_MARKS = {"skip": "skip", "skipIf": "skipif", "skipUnless": "skipif", "expectedFailure": "xfail"}


@dataclass(frozen=True)
class TestFunction:
    """One test as read from its source: how it drives training, what it asserts, and its outcome in JUnit."""

    id: str  # pytest node id: path::Class::name
    name: str
    file: str
    line: int
    class_name: str | None
    markers: tuple[str, ...]
    timeout_s: float | None
    drives_entry: bool  # drives training (see auditor.evidence.behaviour)
    drive: str  # how it drives training (source excerpt), "" when it does not
    drive_line: int | None
    asserts: int  # assert statements, pytest.raises, self.assert*, *.assert_* calls
    calls: tuple[str, ...]  # short names of everything it calls (helpers included)
    text: str  # source of the test and the helpers it calls, for keyword search
    outcome: str | None = None  # passed | failed | error | skipped | timed_out; None: no JUnit result
    duration_s: float | None = None
    message: str = ""
    results: tuple[str, ...] = ()  # JUnit case ids joined to it
    effects: frozenset[str] = frozenset()  # what its assertions look at (behaviour.EFFECTS)
    resume_option: bool = False  # it hands training a resume path or flag
    always_skipped: bool = False  # marked skip (or skipif on a constant): skipped on every machine

    def mentions(self, keyword: str) -> bool:
        return keyword.lower() in self.text.lower()

    @property
    def skip_marked(self) -> bool:
        return bool(_SKIP_MARKS.intersection(self.markers))

    @property
    def skipped_here_or_there(self) -> bool:
        """Marked skipif on a condition (a missing module, no GPU): whether it runs depends on the machine."""
        return "skipif" in self.markers and not self.always_skipped


evcodec.register(TestFunction)  # what auditor.colcache may keep of the tests column


@dataclass
class TestsEvidence:
    """The project's tests as read: every test function, the files read, the JUnit results joined, the errors."""

    root: Path
    test_dir: str  # the test paths read, as shown in messages
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


def _targets(config: ProjectConfig) -> Targets:
    """What starts training: the configured or discovered entry point, the functions that train."""
    entry = config.entry_point
    main_module = config.main_module
    functions: set[str] = set()
    scripts: set[str] = set()
    modules: set[str] = set()
    commands: set[str] = set()
    where: set[str] = set()  # the modules that define the training functions, by every name they import by
    found = config.discovery
    # the chosen entry, and the other ways in that reach a training loop: a documented report or
    # export module (`python -m pkg.report`) starts no training, whatever its test then asserts
    entries = [entry] + ([e.target for e in found.entry_points if e.trains] if found is not None else [])
    for target in entries:
        if not target:
            continue
        if target.startswith("-m "):
            modules.add(target[3:].strip())
            modules.add(target[3:].strip().split(".")[0])
            continue
        file, _, function = target.partition(":")
        if function:
            functions.add(function.split(".")[-1])
            where |= module_names(file) if file.endswith(".py") else set()
        if file.endswith(".py"):
            scripts.add(file)
            scripts.add(Path(file).name)
    if found is not None:
        # a launch script that runs the training (`scripts/train.sh:6 runs python -m pkg.train`) starts it too
        training = {loop.file for loop in found.loops} | {entry.partition(":")[0]}
        scripts |= {script for e in found.entry_points if e.file in training for script in e.launchers}
        functions |= set(found.drivers)
        # one optimisation step (`_run_batch`: no loop of its own) is a unit of training; its callers train
        functions -= {loop.function.split(".")[-1] for loop in found.loops if not loop.repeats}
        where |= {name for rel in found.driver_files for name in module_names(rel)}
        scripts |= {loop.file for loop in found.loops if loop.function == "<module>"}
        commands |= set(found.commands)
    package = ""
    if main_module:
        parts = Path(main_module).parts
        package = parts[0] if len(parts) > 1 else Path(main_module).stem
    return Targets(frozenset(functions), frozenset(scripts), frozenset(modules), frozenset(commands), package,
                   frozenset(where))


def _test_paths(root: Path, config: ProjectConfig) -> tuple[list[Path], str]:
    entries = list(config.tests)
    return testfiles.test_files(root, entries), ", ".join(entries) or "(none found)"


def _is_test_file(rel: str) -> bool:
    name = Path(rel).name
    return name.startswith("test_") or name.endswith("_test.py")


def _top_helpers(tree: ast.Module, text: str, rel: str) -> dict[str, Helper]:
    aliases = _aliases(tree)
    return {node.name: Helper(node, text, aliases, rel) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not (node.name.startswith("test") or node.name.startswith("Test"))}


def collect(config: ProjectConfig) -> TestsEvidence:
    root = config.root
    paths, shown = _test_paths(root, config)
    targets = _targets(config)
    ev = TestsEvidence(root=root, test_dir=shown, entry_function=", ".join(sorted(targets.functions)))
    # what each test file says is kept (auditor.evidence.testindex) for the next audit, which
    # judges again only the files an edit can change; JUnit outcomes are joined afresh every time
    ev.files, ev.errors, ev.tests = testindex.judge_files(root, paths, colcache.file_index("tests", root, targets),
                                                          _is_test_file, _top_helpers,
                                                          functools.partial(_judge_file, targets))
    _join_junit(ev, config, root)
    return ev


def _judge_file(targets: Targets, rel: str, tree: ast.Module, text: str,
                helpers: testindex.Helpers) -> tuple[TestFunction, ...]:
    """The tests of one test file; `helpers`: those its tests may call by name."""
    aliases = _aliases(tree)
    module_marks = _module_marks(tree, aliases)
    constants = _module_constants(tree)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    return tuple(_judge(targets, rel, text, aliases, cls, node,
                        helpers if cls is None else helpers.over(_class_helpers(cls, classes, text, aliases, rel)),
                        module_marks, constants)
                 for cls, node in _test_nodes(tree))


def _module_constants(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """Names a module binds at its top level (`LINE = re.compile(...)`), for assertions that read them."""
    out: dict[str, list[ast.AST]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(node.value)
    return out


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
    cases = _testcase_classes(tree)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield None, node
        elif isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or node.name in cases):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    yield node, sub


def _testcase_classes(tree: ast.Module) -> set[str]:
    """The file's unittest.TestCase subclasses, directly or through a base class of the same file
    (`class TrainLoopTest(_RunDirCase)`): collected by their base, whatever their name."""
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    cases: set[str] = set()
    for _ in range(len(classes)):
        grown = {c.name for c in classes if any(
            (short := dotted(b, {}).split(".")[-1]).endswith("TestCase") or short in cases for b in c.bases)}
        if grown <= cases:
            break
        cases |= grown
    return cases


def _marks(decorators: list[ast.AST], aliases: dict[str, str]) -> list[tuple[str, ast.AST]]:
    out = []
    for d in decorators:
        target = d.func if isinstance(d, ast.Call) else d
        name = dotted(target, aliases)
        if ".mark." in f".{name}" or name.startswith("pytest.mark"):
            out.append((name.split(".")[-1], d))
        elif name.split(".")[-1] in _UNITTEST_MARKS and ("unittest" in name or name.startswith("absltest.")):
            out.append((_UNITTEST_MARKS[name.split(".")[-1]], d))
    return out


def _module_marks(tree: ast.Module, aliases: dict[str, str]) -> list[tuple[str, ast.AST]]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            return _marks(values, aliases)
    return []


def _closure(node: ast.AST, text: str, aliases: dict[str, str], rel: str,
             helpers: testindex.Helpers) -> list[tuple[Helper, str]]:
    """The test, and the helpers and fixtures it uses (and theirs, a few levels down), with how reached."""
    called = facts(node, aliases).helper_calls
    fixtures = {a.arg for a in node.args.args + node.args.kwonlyargs} - {"self", "cls"}
    own = Helper(node, text, aliases, rel)
    closure: list[tuple[Helper, str]] = [(own, "")]
    seen = {id(node)}
    frontier = [(own, "", called | fixtures)]
    for _ in range(behaviour.HELPER_DEPTH):
        nxt = []
        for _h, path, names in frontier:
            for name in sorted(names):
                h = helpers.get(name)
                if h is None or id(h.node) in seen:
                    continue
                seen.add(id(h.node))
                via = f"{path} -> {name}" if path else name
                closure.append((h, via))
                sub_called = facts(h.node, h.aliases).helper_calls
                if isinstance(h.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    sub_called = sub_called | {a.arg for a in h.node.args.args}
                nxt.append((h, via, sub_called))
        frontier = nxt
    return closure


def _timeout(marks: list[tuple[str, ast.AST]]) -> float | None:
    for name, d in marks:
        if name == "timeout" and isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant):
            if isinstance(d.args[0].value, (int, float)):
                return float(d.args[0].value)
    return None


def _always_skipped(marks: list[tuple[str, ast.AST]]) -> bool:
    """`@pytest.mark.skip`, or skipif on a constant true condition: skipped wherever it runs."""
    for name, d in marks:
        if name == "skip":
            return True
        if name == "skipif" and isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant):
            unless = dotted(d.func, {}).split(".")[-1] == "skipUnless"
            if bool(d.args[0].value) != unless:
                return True
    return False


def _judge(targets: Targets, rel: str, text: str, aliases: dict[str, str], cls: ast.ClassDef | None,
           node: ast.FunctionDef, helpers: testindex.Helpers, module_marks: list,
           constants: dict[str, list[ast.AST]]) -> TestFunction:
    """One test: how it drives training, how many assertions it makes, which effects they look at."""
    marks = module_marks + (_marks(cls.decorator_list, aliases) if cls else []) + _marks(node.decorator_list, aliases)
    closure = _closure(node, text, aliases, rel, helpers)
    strings = [x for h, _ in closure for x in facts(h.node, h.aliases).strings]
    # the strings of the module constants it reads: `subprocess.run([sys.executable, TRAIN])` with
    # TRAIN = os.path.join(ROOT, "train.py") at the top of the file
    read = {name for h, _ in closure if h.file == rel for name in facts(h.node, h.aliases).names}
    strings += [x for name in sorted(read & constants.keys()) for value in constants[name]
                for x in facts(value, aliases).strings]
    drive, drive_line, asserts = "", None, 0
    driving: set[str] = set()  # helpers (by name) that start training
    for h, via in closure:
        how, line = behaviour.drive(h.node, h.text, h.aliases, strings, targets)
        if how and via:
            driving.add(via.split(" -> ")[0])
        if how and not drive:
            drive = f"via {via}: {how}" if via else how
            drive_line = line if h.file == rel else node.lineno
        asserts += facts(h.node, h.aliases).asserts
    runs = behaviour.drive_sites(node, aliases, strings, targets, driving)
    # the effects: what the test's own assertions (and those of helpers it asserts through) read
    # the pieces of the asserted text: "\n".join(asserted) is what the assertions read
    asserted = behaviour.asserted_pieces(node, text, aliases, helpers, constants) or [""]
    for h, _via in closure[1:]:
        if facts(h.node, h.aliases).asserts and isinstance(h.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            asserted += behaviour.asserted_pieces(h.node, h.text, h.aliases, helpers) or [""]
    called = facts(node, aliases).called
    mention = [closure[0][0]] + [h for h, via in closure if via and " -> " not in via and h.file == rel
                                 and via in called]
    source = "\n".join(segment(h.text, h.node) for h in mention)
    test_id = f"{rel}::{cls.name}::{node.name}" if cls else f"{rel}::{node.name}"
    closure_pieces = [segment(h.text, h.node) for h, _ in closure]

    def each_assertion() -> list[assertions.Reads]:
        texts = assertions.assertion_texts(node, text, aliases, helpers, constants)
        for h, _via in closure[1:]:
            if facts(h.node, h.aliases).asserts and isinstance(h.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                texts += assertions.assertion_texts(h.node, h.text, h.aliases, helpers)
        return texts

    effects = behaviour.effects_in(asserted, runs)
    if drive:  # only a test that drives training can decide a cell: only its effects need confirming
        effects = assertions.confirm(effects, each_assertion, lambda: "\n".join(closure_pieces), runs)
        if foundfiles.plants_checkpoints(node, text, aliases, strings, targets, driving) or \
                foundfiles.lists_committed_files(node, aliases, constants, strings, targets, driving):
            effects = effects - {behaviour.CHECKPOINTS, assertions.ONE_CHECKPOINT}  # not what training wrote
    return TestFunction(
        id=test_id, name=node.name, file=rel, line=node.lineno, class_name=cls.name if cls else None,
        markers=tuple(dict.fromkeys(m for m, _ in marks)), timeout_s=_timeout(marks), drives_entry=bool(drive),
        drive=drive, drive_line=drive_line, asserts=asserts, calls=tuple(sorted(called)), text=source,
        effects=effects, resume_option=behaviour.hands_resume_option(closure_pieces),
        always_skipped=_always_skipped(marks))


def _class_helpers(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], text: str, aliases: dict[str, str],
                   rel: str) -> dict[str, Helper]:
    """A test class's non-test methods (`self._run(...)`) by name, its own and those of its base
    classes in the same file (`class TestTraining(TrainCase)`, TrainCase.run_train), nearest first."""
    out: dict[str, Helper] = {}
    chain, seen = [cls], {cls.name}
    while chain and len(seen) <= 8:
        current = chain.pop(0)
        for n in current.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("test"):
                out.setdefault(n.name, Helper(n, text, aliases, rel))
        for base in current.bases:
            found = classes.get(base.id) if isinstance(base, ast.Name) else None
            if found is not None and found.name not in seen:
                seen.add(found.name)
                chain.append(found)
    return out


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
    by_name: dict[str, list[TestFunction]] = {}
    for t in ev.tests:
        by_name.setdefault(t.name, []).append(t)
    for _rel, case in cases:
        match = _match(by_name, case)
        if match is None:
            unmatched.append(case.id)
        else:
            by_test.setdefault(match.id, []).append(case)
    ev.unmatched_results = tuple(unmatched)
    joined = []
    stale: list[str] = []
    file_of = {id(c): rel for rel, c in cases}  # by identity: equal results of two files are two results
    mtimes: dict[Path, float] = {}
    for t in ev.tests:
        results = by_test.get(t.id)
        if results and _older_than_test(root, t.file, [file_of[id(c)] for c in results], mtimes):
            stale.append(t.file)
            results = None  # written before the test's last edit: not its result now
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
    if stale:
        ev.junit_errors += (f"the JUnit results are older than the last edit of {', '.join(sorted(set(stale))[:3])} "
                            f"(by more than {STALE_S} s): not those tests' results now",)


STALE_S = 60  # a checkout gives every file about the same time; a result this much older predates the edit


def _older_than_test(root: Path, test_file: str, junit_files: list[str], mtimes: dict[Path, float]) -> bool:
    """Every JUnit file reporting on the test was written over STALE_S seconds before the test file's
    last change; `mtimes`: those already read, kept across the tests of one audit."""
    def mtime(path: Path) -> float:
        if path not in mtimes:
            mtimes[path] = path.stat().st_mtime
        return mtimes[path]

    try:
        edited = mtime(root / test_file)
        written = [mtime(root / rel) for rel in junit_files]  # an absolute `rel` stays itself under `/`
    except OSError:
        return False
    return bool(written) and all(w + STALE_S < edited for w in written)


def _replace(t: TestFunction, **changes: Any) -> TestFunction:
    from dataclasses import replace

    return replace(t, **changes)


def _match(by_name: dict[str, list[TestFunction]], case: TestCaseResult) -> TestFunction | None:
    base = case.name.split("[", 1)[0]
    named = by_name.get(base, [])
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
