"""Facts about the training code, read with `ast.parse` (never imported, never executed).

Every fact carries the file (relative to the project root) and the line it was seen on.
The collector resolves simple aliases (`from x import y as z`), methods on `self`, and calls
through helper functions defined in the scanned files (by name, transitively), so that a
loop calling `self.checkpointer.maybe_save()` counts as saving when `maybe_save` calls
`save`.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

MAX_SOURCE_BYTES = 2_000_000
_SKIP_DIRS = {".venv", "venv", "__pycache__", ".git", "node_modules", "build", "dist", ".tox"}

# Effect tags a function (or a call site, through the functions it reaches) can carry.
SAVE, LOAD, LOG, PROGRESS, HEARTBEAT, DISCOVERY, AUTORESUME = (
    "save", "load", "log", "progress", "heartbeat", "discovery", "autoresume")

_LOG_METHODS = {"info", "debug", "warning", "warn", "error", "exception", "critical", "log"}
_LOG_RECEIVERS = re.compile(r"(^|\.)(logging|logger|log|_log|_logger|LOGGER|LOG)$")
_WRITE_SHORT = {"write", "write_text", "write_bytes", "dump", "replace", "rename", "writelines"}
_NOT_CHECKPOINT_LOADERS = re.compile(r"^(json|yaml|np|numpy|pickle|tomllib|toml|pd|pandas)\.")
_BATCH_HINT = re.compile(r"batch|loader|dataloader", re.I)
_THREAD_CLASSES = {"Thread", "Timer"}


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None  # source text of the default, None when it has none
    line: int


@dataclass(frozen=True)
class Call:
    """One call site."""

    file: str
    line: int
    function: str  # qualname of the enclosing function, "<module>" at module level
    name: str  # dotted name with aliases resolved, e.g. "torch.save", "self.ckpt.maybe_save"
    short: str  # the last part of `name`
    loop_depth: int  # loops around the call inside its own function
    batch_loop: bool  # the innermost surrounding loop iterates batches (by name or nesting)
    kwargs: tuple[tuple[str, str], ...]  # (keyword, value source text)
    n_args: int
    text: str  # source excerpt (shortened)
    guards: tuple[str, ...] = ()  # source text of surrounding `if` tests


@dataclass(frozen=True)
class Loop:
    file: str
    line: int
    function: str
    depth: int  # 1 for an outermost loop of its function
    header: str  # `for x in y` / `while cond`, shortened
    batch_loop: bool


@dataclass(frozen=True)
class Function:
    qualname: str
    name: str
    file: str
    line: int
    end_line: int
    class_name: str | None
    params: tuple[Param, ...]
    calls: tuple[Call, ...]
    loops: tuple[Loop, ...]


@dataclass(frozen=True)
class Effect:
    """Why a function carries an effect: the call site that does it directly."""

    tag: str
    site: Call
    via: tuple[str, ...] = ()  # functions passed through, outermost first


@dataclass(frozen=True)
class LoopCall:
    """A call inside a loop of code reachable from the entry point, with what it reaches."""

    call: Call
    depth: int  # loop depth including loops around the calls that lead here
    batch_loop: bool
    effects: tuple[Effect, ...]
    in_thread: bool = False  # the loop is in a thread's target (a heartbeat), not the training loop

    def effect(self, tag: str) -> Effect | None:
        return next((e for e in self.effects if e.tag == tag), None)


@dataclass(frozen=True)
class ThreadStart:
    file: str
    line: int
    function: str
    kind: str  # "Thread", "Timer" or "subclass"
    target: str  # source text of the target
    target_function: str | None  # qualname when resolved
    effects: tuple[Effect, ...]  # effects of the target
    started: bool
    reachable: bool


@dataclass(frozen=True)
class Interval:
    name: str
    default: str
    value: float | None
    unit: str  # "time", "steps", "epochs" or "unknown"
    seconds: float | None
    file: str
    line: int
    where: str  # qualname of the function or class declaring it
    reason: str  # how the unit was decided


@dataclass(frozen=True)
class MainCall:
    """A call made by a `__main__` block (or a CLI command) in the main module / entry file."""

    call: Call
    target_is_entry: bool


@dataclass(frozen=True)
class ResumeLoad:
    """A checkpoint-load call and where its argument comes from."""

    call: Call
    from_resume: bool  # the argument (or a guarding `if`) carries a resume parameter
    from_discovery: bool  # the argument comes from a call that looks for checkpoints
    reachable: bool
    direct: bool = True  # a configured load function itself, not a helper that passes its argument on
    why_not_at_start: str = ""  # when it discovers a checkpoint but cannot be auto-resume: the reason


@dataclass
class CodeEvidence:
    """All AST facts about the training code of one project."""

    root: Path
    files: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    entry_point: str = ""
    entry: Function | None = None
    functions: dict[str, Function] = field(default_factory=dict)
    reachable: frozenset[str] = frozenset()
    loop_calls: tuple[LoopCall, ...] = ()
    threads: tuple[ThreadStart, ...] = ()
    intervals: tuple[Interval, ...] = ()
    main_calls: tuple[MainCall, ...] = ()
    resume_passed: tuple[Call, ...] = ()  # entry/CLI calls passing a resume argument
    resume_options: tuple[Call, ...] = ()  # CLI options declaring a resume parameter
    resume_loads: tuple[ResumeLoad, ...] = ()
    auto_resume: tuple[Effect, ...] = ()  # discovery -> restore before the loop, reachable
    effects: dict[str, tuple[Effect, ...]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.functions)

    def calls(self) -> Iterable[Call]:
        for fn in self.functions.values():
            yield from fn.calls


# --------------------------------------------------------------------------- collection


def _cfg(config: Any, name: str, default: Any) -> Any:
    value = getattr(config, name, None)
    if value is None and isinstance(config, dict):
        value = config.get(name)
    return default if value is None else value


def project_root(config: Any) -> Path:
    for name in ("root", "project_root", "path", "project"):
        value = getattr(config, name, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    return Path(".")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (str, Path)):
        return [str(value)]
    return [str(v) for v in value]


def _python_files(root: Path, entries: list[str]) -> list[Path]:
    found: list[Path] = []
    for entry in entries:
        path = root / entry
        if path.is_file() and path.suffix == ".py":
            found.append(path)
        elif path.is_dir():
            for p in sorted(path.rglob("*.py")):
                if not any(part in _SKIP_DIRS or part.startswith(".") for part in p.relative_to(root).parts[:-1]):
                    found.append(p)
    seen: set[Path] = set()
    return [p for p in found if not (p in seen or seen.add(p))]


def collect(config: Any) -> CodeEvidence:
    """Parse the configured source files and derive the facts the code probes need."""
    root = project_root(config)
    cfg = {
        "source": _as_list(_cfg(config, "source", ["magvit"])),
        "entry_point": str(_cfg(config, "entry_point", "magvit/train.py:train")),
        "main_module": str(_cfg(config, "main_module", "magvit/cli.py")),
        "save": set(_as_list(_cfg(config, "checkpoint_save_functions", ["save", "save_checkpoint", "torch.save"]))),
        "load": set(_as_list(_cfg(config, "checkpoint_load_functions", ["load", "load_checkpoint", "resume"]))),
        "discovery": set(_as_list(_cfg(config, "checkpoint_discovery_functions",
                                       ["find_latest", "latest_valid", "glob", "iterdir", "listdir", "scandir"]))),
        "resume": set(_as_list(_cfg(config, "resume_parameters", ["resume", "resume_from"]))),
        "interval": _as_list(_cfg(config, "interval_parameters",
                                  ["checkpoint_every", "checkpoint_interval", "save_interval"])),
        "progress_files": _as_list(_cfg(config, "progress_files", ["PROGRESS.txt", "progress.json"])),
    }
    entry_file, _, entry_func = cfg["entry_point"].partition(":")
    extra = [entry_file, cfg["main_module"]]
    files = _python_files(root, cfg["source"] + extra)
    ev = CodeEvidence(root=root, entry_point=cfg["entry_point"], config=cfg)
    parsed: list[_FileScan] = []
    errors: list[str] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                errors.append(f"{rel}: larger than {MAX_SOURCE_BYTES} bytes, not read")
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            errors.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
            continue
        except OSError as exc:
            errors.append(f"{rel}: unreadable: {exc}")
            continue
        scan = _FileScan(rel, text, cfg)
        scan.visit(tree)
        parsed.append(scan)
    ev.files = tuple(s.rel for s in parsed)
    ev.errors = tuple(errors)
    _analyse(ev, parsed, cfg, entry_file, entry_func)
    # imported here: frameworks builds on this module's types (a top-level import would be circular)
    from auditor.evidence.frameworks import add_framework_evidence

    add_framework_evidence(ev, parsed)
    return ev


# --------------------------------------------------------------------------- per-file scan


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, aliases)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func, aliases)}()"
    return "<expr>"


# Expression contexts and operators: a third of the nodes of a typical tree, leaves that no
# probe looks at (an operator is read from its BinOp, never found by walking).
_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)


def walk(node: ast.AST) -> list[ast.AST]:
    """ast.walk's nodes in ast.walk's order (breadth first), less the _LEAVES.

    About half the time of ast.walk, whose two nested generators per node were most of the
    cost of an audit of this repository.
    """
    out = [node]
    i = 0
    while i < len(out):
        n = out[i]
        i += 1
        for name in n._fields:
            value = getattr(n, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                        out.append(item)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                out.append(value)
    return out


def _names_in(node: ast.AST | None) -> frozenset[str]:
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



def _calls_in(node: ast.AST, aliases: dict[str, str]) -> tuple[tuple[str, str], ...]:
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
            name = _dotted(sub.func, aliases)
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


def _short_text(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _own_nodes(node: ast.AST | None) -> Iterable[ast.AST]:
    """Nodes of a function body, not descending into nested functions or classes."""
    if node is None:
        return
    stack = _children(node)
    while stack:
        sub = stack.pop()
        yield sub
        if not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(_children(sub))


def _children(node: ast.AST) -> list[ast.AST]:
    """ast.iter_child_nodes less the _LEAVES, as a list."""
    out = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out += [item for item in value if isinstance(item, ast.AST) and not isinstance(item, _LEAVES)]
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
            out.append(value)
    return out


class _FunctionScan:
    def __init__(self, qualname: str, name: str, node: ast.AST | None, class_name: str | None):
        self.qualname, self.name, self.node, self.class_name = qualname, name, node, class_name
        self.calls: list[tuple[Call, ast.Call]] = []
        self.loops: list[Loop] = []
        self.assigns: list[tuple[set[str], ast.AST]] = []  # (target names, value)
        self.returns: list[ast.AST] = []
        self.nested: dict[str, str] = {}  # local def name -> qualname
        self.progress_aliases: set[str] = set()  # local names bound to a progress file path

    @functools.cached_property
    def mentions_heartbeat(self) -> bool:
        """Named after the heartbeat, or a string of its own body mentions it (asked of few
        functions: only when one of its calls writes or logs, so walked only then)."""
        return "heartbeat" in self.name.lower() or any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and "heartbeat" in n.value.lower()
            for n in _own_nodes(self.node))


class _FileScan(ast.NodeVisitor):
    """Walks one module, recording calls with loop depth and guards, per function."""

    _dispatch: dict[type, Any] = {}  # node class -> visit method, shared by all scans

    def visit(self, node: ast.AST) -> Any:
        # NodeVisitor.visit builds the method name and looks it up on every node; the class's
        # answer never changes, so it is looked up once per node class
        method = self._dispatch.get(node.__class__)
        if method is None:
            method = getattr(type(self), "visit_" + node.__class__.__name__, type(self).generic_visit)
            self._dispatch[node.__class__] = method
        return method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for child in _children(node):  # no visitor here handles a context or an operator
            self.visit(child)

    def __init__(self, rel: str, text: str, cfg: dict[str, Any]):
        self.rel, self.text, self.cfg = rel, text, cfg
        self.lines = text.splitlines()
        self.aliases: dict[str, str] = {}
        self.functions: list[_FunctionScan] = []
        self.module = _FunctionScan("<module>", "<module>", None, None)
        self.main_block = _FunctionScan("<main>", "<main>", None, None)
        self.thread_classes: list[tuple[str, int]] = []  # (class name, line) of Thread subclasses
        self.class_fields: list[tuple[str, str, ast.AST, int]] = []  # (class, name, value, line)
        self.options: list[tuple[ast.Call, int]] = []  # click/argparse option declarations
        self.mod_exprs: list[ast.AST] = []  # `%` operations, comparisons (unit hints)
        self.progress_aliases: set[str] = set()
        self._fn: list[_FunctionScan] = [self.module]
        self._scope: list[str] = [""]  # class name when directly inside a class body, else ""
        self._depth = [0]
        self._batch = [[False]]
        self._guards: list[list[str]] = [[]]

    def seg(self, node: ast.AST) -> str:
        return _short_text(source_segment(self.lines, node))

    # imports --------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}" if node.module else a.name

    # definitions ----------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            if _dotted(base, self.aliases).split(".")[-1] in _THREAD_CLASSES:
                self.thread_classes.append((node.name, node.lineno))
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.class_fields.append((node.name, stmt.target.id, stmt.value, stmt.lineno))
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.class_fields.append((node.name, stmt.targets[0].id, stmt.value, stmt.lineno))
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        parent = self._fn[-1]
        cls = self._scope[-1] if self._scope[-1] else None
        if parent.qualname in ("<module>", "<main>") or cls:
            qual = f"{cls}.{node.name}" if cls else node.name
        else:
            qual = f"{parent.qualname}.{node.name}"
            parent.nested[node.name] = qual
            cls = parent.class_name
        fn = _FunctionScan(qual, node.name, node, cls)
        self.functions.append(fn)
        for deco in node.decorator_list:  # decorators run at definition: CLI options live here
            self.visit(deco)
        self._fn.append(fn)
        self._scope.append("")
        self._depth.append(0)
        self._batch.append([False])
        self._guards.append([])
        for stmt in node.body:
            self.visit(stmt)
        self._guards.pop()
        self._batch.pop()
        self._depth.pop()
        self._scope.pop()
        self._fn.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    # control flow ---------------------------------------------------------
    def _visit_loop(self, node: ast.For | ast.While | ast.AsyncFor) -> None:
        depth = self._depth[-1] + 1
        if isinstance(node, ast.While):
            header = "while " + self.seg(node.test)
            hint = bool(_BATCH_HINT.search(header))
            self.visit(node.test)
        else:
            header = f"for {self.seg(node.target)} in {self.seg(node.iter)}"
            hint = bool(_BATCH_HINT.search(header))
            self.visit(node.iter)
            fn = self._fn[-1]
            fn.assigns.append((_names_in(node.target), node.iter))
        batch = hint or depth >= 2
        fn = self._fn[-1]
        fn.loops.append(Loop(self.rel, node.lineno, fn.qualname, depth, header, batch))
        self._depth[-1] = depth
        self._batch[-1].append(batch)
        for stmt in node.body:
            self.visit(stmt)
        self._batch[-1].pop()
        self._depth[-1] = depth - 1
        for stmt in node.orelse:
            self.visit(stmt)

    visit_For = _visit_loop
    visit_While = _visit_loop
    visit_AsyncFor = _visit_loop

    def visit_If(self, node: ast.If) -> None:
        if self._is_main_test(node.test) and self._fn[-1] is self.module:
            self._fn.append(self.main_block)
            for stmt in node.body:
                self.visit(stmt)
            self._fn.pop()
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.visit(node.test)
        self._guards[-1].append(self.seg(node.test))
        for stmt in node.body:
            self.visit(stmt)
        self._guards[-1].pop()
        self._guards[-1].append("not (" + self.seg(node.test) + ")")
        for stmt in node.orelse:
            self.visit(stmt)
        self._guards[-1].pop()

    @staticmethod
    def _is_main_test(test: ast.AST) -> bool:
        return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators))

    # data flow ------------------------------------------------------------
    def _record_assign(self, targets: list[ast.AST], value: ast.AST | None, alias: bool = True) -> None:
        """Record an assignment for data flow; a name bound to a progress path becomes an alias.

        Attribute targets (`self.json_path`) and module-level names are aliases for the whole
        file, local names only inside their function. `with open(...) as f` makes no alias:
        the `open` itself is the write.
        """
        if value is None:
            return
        names: set[str] = set()
        fn = self._fn[-1]
        for t in targets:
            names |= _names_in(t)
            if alias and (self._mentions_progress_file(value) or _names_in(value) & (
                    self.progress_aliases | fn.progress_aliases)):
                if isinstance(t, ast.Attribute):
                    self.progress_aliases.add(t.attr)
                elif isinstance(t, ast.Name):
                    (self.progress_aliases if fn is self.module else fn.progress_aliases).add(t.id)
        fn.assigns.append((names, value))

    def _mentions_progress_file(self, node: ast.AST) -> bool:
        for sub in walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                if any(p.lower() in sub.value.lower() for p in self.cfg["progress_files"]):
                    return True
        return False

    def visit_Assign(self, node: ast.Assign) -> None:
        self._record_assign(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._record_assign([node.target], node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._record_assign([node.target], node.value)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._record_assign([node.target], node.value)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._record_assign([item.optional_vars], item.context_expr, alias=False)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self._fn[-1].returns.append(node.value)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod):
            self.mod_exprs.append(node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.mod_exprs.append(node)
        self.generic_visit(node)

    # calls ----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        fn = self._fn[-1]
        name = _dotted(node.func, self.aliases)
        short = name.split(".")[-1].rstrip("()") or name
        if short in ("option", "argument", "add_argument"):
            self.options.append((node, node.lineno))
        call = Call(
            file=self.rel,
            line=node.lineno,
            function=fn.qualname,
            name=name,
            short=short,
            loop_depth=self._depth[-1],
            batch_loop=self._batch[-1][-1],
            kwargs=tuple((k.arg, self.seg(k.value)) for k in node.keywords if k.arg),
            n_args=len(node.args),
            text=self.seg(node),
            guards=tuple(self._guards[-1]),
        )
        fn.calls.append((call, node))
        self.generic_visit(node)


# --------------------------------------------------------------------------- analysis


def _analyse(ev: CodeEvidence, scans: list[_FileScan], cfg: dict[str, Any], entry_file: str, entry_func: str) -> None:
    fscans: dict[str, tuple[_FileScan, _FunctionScan]] = {}
    by_name: dict[str, list[str]] = {}
    for scan in scans:
        for fs in scan.functions + [scan.module, scan.main_block]:
            qual = f"{scan.rel}::{fs.qualname}"
            fscans[qual] = (scan, fs)
            if fs.node is not None:
                by_name.setdefault(fs.name, []).append(qual)

    def node_end(fs: _FunctionScan) -> int:
        return getattr(fs.node, "end_lineno", None) or getattr(fs.node, "lineno", 0)

    for qual, (scan, fs) in fscans.items():
        params: list[Param] = []
        if isinstance(fs.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = fs.node.args
            positional = a.posonlyargs + a.args
            defaults: list[ast.AST | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
            for arg, d in list(zip(positional, defaults)) + list(zip(a.kwonlyargs, a.kw_defaults)):
                params.append(Param(arg.arg, scan.seg(d) if d is not None else None, arg.lineno))
        ev.functions[qual] = Function(
            qualname=qual, name=fs.name, file=scan.rel, line=getattr(fs.node, "lineno", 0), end_line=node_end(fs),
            class_name=fs.class_name, params=tuple(params),
            calls=tuple(c for c, _ in fs.calls), loops=tuple(fs.loops))

    scanned_tops = {Path(s.rel).parts[0].removesuffix(".py") for s in scans}

    def resolve(call: Call, scan: _FileScan, fs: _FunctionScan) -> list[str]:
        """Functions defined in the scanned files that a call may reach (by name)."""
        if call.short in fs.nested:
            return [f"{scan.rel}::{fs.nested[call.short]}"]
        candidates = by_name.get(call.short, [])
        if call.name.startswith("self.") and call.name.count(".") == 1 and fs.class_name:
            own = [q for q in candidates if q.startswith(f"{scan.rel}::{fs.class_name}.")]
            if own:
                return own
        if "." not in call.name:
            local = [q for q in candidates if q.startswith(f"{scan.rel}::")]
            if local:
                return local
            target = scan.aliases.get(call.short, call.name)
            tail = target.split(".")[-1]
            return by_name.get(tail, candidates)
        if _external_receiver(call.name.split(".")[0], scan, fs, scanned_tops):
            return []
        if call.name.split(".")[0] in scan.aliases and not call.name.startswith("self."):
            # a call into an imported module: only functions from a scanned module of that name
            module = scan.aliases[call.name.split(".")[0]].split(".")[-1]
            return [q for q in candidates if Path(q.split("::")[0]).stem == module]
        return candidates

    # direct effects of each call site
    def direct(call: Call, scan: _FileScan, fs: _FunctionScan) -> set[str]:
        tags: set[str] = set()
        low = call.text.lower()
        if call.short in cfg["save"] or call.name in cfg["save"]:
            tags.add(SAVE)
        if (call.short in cfg["load"] or call.name in cfg["load"]) and not _NOT_CHECKPOINT_LOADERS.match(call.name):
            tags.add(LOAD)
        receiver = call.name.rsplit(".", 1)[0] if "." in call.name else ""
        is_log = call.name == "print" or call.name.startswith("logging.") or (
            call.short in _LOG_METHODS and bool(_LOG_RECEIVERS.search(receiver))) or call.name in (
            "sys.stdout.write", "sys.stderr.write")
        if is_log:
            tags.add(LOG)
        is_write = _is_write(call, scan)
        if is_write and re.search(r"(^|[^a-z])log([^a-z]|$)|\.log\b|_log\b|log_", low) and "progress" not in low:
            tags.add(LOG)
        if is_write and _mentions_progress(call, scan, fs):
            tags.add(PROGRESS)
        if is_write and ("progress" in fs.name.lower() or (fs.class_name or "").lower().find("progress") >= 0):
            tags.add(PROGRESS)
        if (is_write or is_log) and ("heartbeat" in low or fs.mentions_heartbeat):
            tags.add(HEARTBEAT)
        if call.short in cfg["discovery"] or call.name in cfg["discovery"]:
            tags.add(DISCOVERY)
        return tags

    sites: dict[str, list[tuple[Call, list[str], set[str]]]] = {}
    for qual, (scan, fs) in fscans.items():
        sites[qual] = [(c, [t for t in resolve(c, scan, fs) if t != qual], direct(c, scan, fs)) for c, _ in fs.calls]

    # taint: which names carry a resume parameter / a discovery result, per function
    returns_discovery: set[str] = set()
    resume_names = cfg["resume"]

    def taint(qual: str) -> tuple[set[str], set[str]]:
        scan, fs = fscans[qual]
        res: set[str] = set(resume_names)
        disc: set[str] = set()
        for _ in range(4):
            for names, value in fs.assigns:
                mentioned = _names_in(value)
                if mentioned & res:
                    res |= names
                if mentioned & disc or _has_discovery_call(value, scan, fs, qual):
                    disc |= names
        return res, disc

    def _has_discovery_call(value: ast.AST, scan: _FileScan, fs: _FunctionScan, qual: str) -> bool:
        for name, short in _calls_in(value, scan.aliases):
            if short in cfg["discovery"] or name in cfg["discovery"]:
                return True
            if any(t in returns_discovery for t in by_name.get(short, [])):
                return True
        return False

    # a function's taint depends on returns_discovery only through the functions its
    # assignments and returns may call: after the first pass, only a function with a newly
    # added one among them can change
    callees: dict[str, set[str]] = {}
    for qual, (scan, fs) in fscans.items():
        callees[qual] = {t for value in [v for _, v in fs.assigns] + fs.returns
                         for _, short in _calls_in(value, scan.aliases) for t in by_name.get(short, ())}

    taints: dict[str, tuple[set[str], set[str]]] = {}
    # to a fixed point: a discovery result may pass through any number of helpers that
    # return it (each pass moves it at least one call level up, or nothing changes)
    added: set[str] | None = None  # None: the first pass, every function
    for _ in range(len(fscans) + 1):
        before = set(returns_discovery)
        for qual, (scan, fs) in fscans.items():
            if added is not None and not callees[qual] & added:
                continue
            taints[qual] = taint(qual)
            if any(_names_in(r) & taints[qual][1] or _has_discovery_call(r, scan, fs, qual) for r in fs.returns):
                returns_discovery.add(qual)
        added = returns_discovery - before
        if not added:
            break

    # restorers: functions that pass one of their parameters into a checkpoint load
    restorers: set[str] = set()

    def is_restore(qual: str, i: int, call: Call, scan: _FileScan, fs: _FunctionScan) -> bool:
        return LOAD in sites[qual][i][2] or any(t in restorers for t in sites[qual][i][1])

    for _ in range(4):
        for qual, (scan, fs) in fscans.items():
            if qual in restorers or qual not in ev.functions:
                continue
            flow = {p.name for p in ev.functions[qual].params} - {"self", "cls"}
            if not flow:
                continue
            for _ in range(3):
                for names, value in fs.assigns:
                    if _names_in(value) & flow:
                        flow |= names
            for i, (call, node) in enumerate(fs.calls):
                args = set().union(*(_names_in(a) for a in list(node.args) + [k.value for k in node.keywords]))
                if is_restore(qual, i, call, scan, fs) and args & flow:
                    restorers.add(qual)
                    break

    loads: dict[str, list[tuple[Call, bool, bool]]] = {}
    for qual, (scan, fs) in fscans.items():
        res, disc = taints[qual]
        for i, (call, node) in enumerate(fs.calls):
            if not is_restore(qual, i, call, scan, fs):
                continue
            arg_names: set[str] = set()
            for a in list(node.args) + [k.value for k in node.keywords]:
                arg_names |= _names_in(a)
            guard_names: set[str] = set()
            for g in call.guards:
                guard_names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", g))
            from_resume = bool(arg_names & res) or bool(guard_names & set(resume_names))
            from_disc = bool(arg_names & disc) or any(
                _has_discovery_call(a, scan, fs, qual) for a in list(node.args) + [k.value for k in node.keywords])
            loads.setdefault(qual, []).append((call, from_resume, from_disc))

    # transitive effects per function, keeping the most telling witness of each
    effects: dict[str, dict[str, Effect]] = {q: {} for q in fscans}

    def offer(store: dict[str, Effect], eff: Effect) -> bool:
        old = store.get(eff.tag)
        if old is None or effect_rank(eff) < effect_rank(old):
            store[eff.tag] = eff
            return True
        return False

    for qual, entries in sites.items():
        for call, _, tags in entries:
            for tag in tags:
                offer(effects[qual], Effect(tag, call))
        for call, from_resume, from_disc in loads.get(qual, []):
            if from_disc:
                offer(effects[qual], Effect(AUTORESUME, call))
    for _ in range(8):
        changed = False
        for qual, entries in sites.items():
            for call, targets, _ in entries:
                for t in targets:
                    for tag, eff in list(effects.get(t, {}).items()):
                        short_t = t.split("::")[-1]
                        if short_t not in eff.via:
                            changed |= offer(effects[qual], Effect(tag, eff.site, (short_t,) + eff.via))
        if not changed:
            break
    ev.effects = {q: tuple(sorted(e.values(), key=lambda x: x.tag)) for q, e in effects.items() if e}

    def call_effects(call: Call, targets: list[str], tags: set[str]) -> tuple[Effect, ...]:
        out: dict[str, Effect] = {t: Effect(t, call) for t in tags}
        for t in targets:
            for tag, eff in effects.get(t, {}).items():
                offer(out, Effect(tag, eff.site, (t.split("::")[-1],) + eff.via))
        return tuple(sorted(out.values(), key=lambda e: e.tag))

    # entry point and reachability, with the loop depth each function is called at
    entry_qual = f"{entry_file}::{entry_func}"
    ev.entry = ev.functions.get(entry_qual)
    starts: dict[str, int] = {}
    if ev.entry is not None:
        starts[entry_qual] = 0
    main_file = cfg["main_module"]
    for rel in {entry_file, main_file}:
        if f"{rel}::<main>" in fscans:
            starts.setdefault(f"{rel}::<main>", 0)
    if ev.entry is None:  # no entry point found: every function is a candidate, flagged by entry=None
        for qual in fscans:
            starts.setdefault(qual, 0)
    ctx: dict[str, int] = dict(starts)
    thread_targets: dict[str, list[str]] = {}
    for qual, (scan, fs) in fscans.items():
        for call, node in fs.calls:
            if call.short in _THREAD_CLASSES:
                thread_targets.setdefault(qual, []).extend(_thread_target_quals(node, scan, fs, by_name))
    # breadth first: a function's context depth is that of its shortest call chain from the
    # entry point (the main path), so call cycles cannot inflate it
    queue = list(ctx)
    while queue:
        qual = queue.pop(0)
        for call, targets, _ in sites.get(qual, []):
            for t in targets:
                if t not in ctx:
                    ctx[t] = ctx[qual] + call.loop_depth
                    queue.append(t)
        for t in thread_targets.get(qual, []):
            if t not in ctx:
                ctx[t] = 0
                queue.append(t)
    ev.reachable = frozenset(ctx)

    thread_target_set = {t for ts in thread_targets.values() for t in ts}
    loop_calls: list[LoopCall] = []
    for qual in sorted(ctx):
        for call, targets, tags in sites.get(qual, []):
            if call.loop_depth == 0:
                continue
            depth = call.loop_depth + ctx[qual]
            loop_calls.append(LoopCall(call, depth, call.batch_loop or depth >= 2, call_effects(call, targets, tags),
                                       qual in thread_target_set))
    ev.loop_calls = tuple(loop_calls)

    # threads
    threads: list[ThreadStart] = []
    for qual, (scan, fs) in fscans.items():
        started = any(c.short == "start" for c, _ in fs.calls)
        for call, node in fs.calls:
            if call.short not in _THREAD_CLASSES or call.name.split(".")[0] not in ("threading", call.short):
                continue
            target_node = next((k.value for k in node.keywords if k.arg in ("target", "function")), None)
            if target_node is None and call.short == "Timer" and len(node.args) >= 2:
                target_node = node.args[1]
            quals = _thread_target_quals(node, scan, fs, by_name)
            effs: dict[str, Effect] = {}
            for t in quals:
                for tag, eff in effects.get(t, {}).items():
                    effs.setdefault(tag, eff)
            if isinstance(target_node, ast.Lambda):
                for sub in walk(target_node.body):
                    if isinstance(sub, ast.Call):
                        inner = next((c for c, n in fs.calls if n is sub), None)
                        if inner:
                            for t in resolve(inner, scan, fs):
                                for tag, eff in effects.get(t, {}).items():
                                    effs.setdefault(tag, eff)
            threads.append(ThreadStart(
                file=scan.rel, line=call.line, function=fs.qualname, kind=call.short,
                target=scan.seg(target_node) if target_node is not None else "",
                target_function=quals[0].split("::")[-1] if quals else None,
                effects=tuple(sorted(effs.values(), key=lambda e: e.tag)),
                started=started or ".start()" in call.text, reachable=qual in ctx))
        for cls_name, line in scan.thread_classes if fs is scan.module else ():
            run_q = f"{scan.rel}::{cls_name}.run"
            effs = effects.get(run_q, {})
            created = any(c.short == cls_name for q in ctx for c in ev.functions.get(q, _EMPTY_FN).calls)
            threads.append(ThreadStart(
                file=scan.rel, line=line, function=cls_name, kind="subclass", target=f"{cls_name}.run",
                target_function=f"{cls_name}.run" if run_q in fscans else None,
                effects=tuple(sorted(effs.values(), key=lambda e: e.tag)), started=created, reachable=created))
    ev.threads = tuple(threads)

    # intervals
    ev.intervals = tuple(_intervals(scans, fscans, cfg))

    # __main__ / CLI
    entry_names = {entry_func.split(".")[-1]}
    resume_takers = {f.name for f in ev.functions.values() if any(p.name in resume_names for p in f.params)}
    main_calls: list[MainCall] = []
    passed: list[Call] = []
    options: list[Call] = []
    for rel in dict.fromkeys([main_file, entry_file]):
        for qual, (scan, fs) in fscans.items():
            if scan.rel != rel:
                continue
            for call, node in fs.calls:
                is_entry = call.short in entry_names or scan.aliases.get(call.short, "").split(".")[-1] in entry_names
                if fs.qualname == "<main>":
                    main_calls.append(MainCall(call, is_entry))
                if call.short in ("option", "argument", "add_argument"):
                    declared = {_norm_option(a.value) for a in node.args if isinstance(a, ast.Constant)
                                and isinstance(a.value, str)}
                    if declared & resume_names:
                        options.append(call)
                    continue
                if fs.qualname == "<module>":
                    continue
                passes = any(k in resume_names and v != "None" for k, v in call.kwargs)
                if not passes and is_entry and ev.entry is not None:
                    positional = [p.name for p in ev.entry.params]
                    passes = any(p in resume_names for p in positional[: call.n_args])
                # counts only when it reaches training: the entry point, or one of our functions
                # that takes a resume parameter (not, say, an event record naming the mode)
                takes_resume = call.short in resume_takers
                if passes and (is_entry or takes_resume):
                    passed.append(call)
    ev.main_calls = tuple(main_calls)
    ev.resume_passed = tuple(passed)
    ev.resume_options = tuple(options)

    ev.resume_loads = tuple(sorted(
        (ResumeLoad(c, r, d, q in ctx, LOAD in direct(c, *fscans[q])) for q, items in loads.items() for c, r, d in items),
        key=lambda x: not x.direct))

    # auto-resume: a reachable call, outside any loop, that reaches a discovery->restore,
    # or a __main__ that passes a discovered checkpoint as the resume argument
    auto: list[Effect] = []
    for qual in sorted(ctx):
        for call, targets, tags in sites.get(qual, []):
            if call.loop_depth:
                continue
            for eff in call_effects(call, targets, tags):
                if eff.tag == AUTORESUME:
                    auto.append(eff)
        for call, from_resume, from_disc in loads.get(qual, []):
            if from_disc and call.loop_depth == 0:
                auto.append(Effect(AUTORESUME, call))
    entry_loads_resume = any(r.from_resume and r.reachable for r in ev.resume_loads)
    for mc in main_calls:
        if not mc.target_is_entry:
            continue
        scan, fs = fscans[f"{mc.call.file}::<main>"]
        _, disc = taints[f"{mc.call.file}::<main>"]
        node = next(n for c, n in fs.calls if c is mc.call)
        for k in node.keywords:
            if k.arg in resume_names and (_names_in(k.value) & disc or _has_discovery_call(k.value, scan, fs, "")):
                if entry_loads_resume:
                    auto.append(Effect(AUTORESUME, mc.call))
    ev.auto_resume = tuple(dict.fromkeys(auto))


_BUILTIN_MAKERS = {"open", "dict", "list", "set", "tuple", "str", "bytes", "int", "float", "iter", "enumerate",
                   "zip", "range", "sorted", "reversed", "map", "filter", "frozenset", "bytearray", "object"}


def _external_receiver(root: str, scan: _FileScan, fs: _FunctionScan, scanned_tops: set[str]) -> bool:
    """True when `root` is a local bound only to objects from outside the scanned code
    (`h = hashlib.sha256()`, `f = open(...)`, literals), whose methods cannot be ours."""
    if root in ("self", "cls"):
        return False
    values = [v for names, v in fs.assigns if root in names]
    if not values:
        return False
    for value in values:
        if isinstance(value, (ast.Constant, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.JoinedStr,
                              ast.ListComp, ast.DictComp, ast.SetComp)):
            continue
        if not isinstance(value, ast.Call):
            return False
        name = _dotted(value.func, scan.aliases)
        top = name.split(".")[0]
        if top in _BUILTIN_MAKERS and "." not in name:
            continue
        original = value.func
        while isinstance(original, ast.Attribute):
            original = original.value
        if isinstance(original, ast.Name) and original.id in scan.aliases and top not in scanned_tops:
            continue
        return False
    return True


_QUIET_LOG = {"warning", "warn", "error", "exception", "critical"}


def effect_rank(eff: Effect) -> tuple[int, int]:
    """Lower is more telling: a direct print/info beats a warning reached through three helpers."""
    return (int(eff.tag == LOG and eff.site.short in _QUIET_LOG), len(eff.via))


_EMPTY_FN = Function("", "", "", 0, 0, None, (), (), ())


def _norm_option(text: str) -> str:
    return text.lstrip("-").replace("-", "_")


def _thread_target_quals(node: ast.Call, scan: _FileScan, fs: _FunctionScan, by_name: dict[str, list[str]]) -> list[str]:
    target = next((k.value for k in node.keywords if k.arg in ("target", "function")), None)
    if target is None and len(node.args) >= 2:
        target = node.args[1]
    if isinstance(target, ast.Name):
        if target.id in fs.nested:
            return [f"{scan.rel}::{fs.nested[target.id]}"]
        local = [q for q in by_name.get(target.id, []) if q.startswith(f"{scan.rel}::")]
        return local or by_name.get(target.id, [])
    if isinstance(target, ast.Attribute):
        cands = by_name.get(target.attr, [])
        own = [q for q in cands if fs.class_name and q.startswith(f"{scan.rel}::{fs.class_name}.")]
        return own or cands
    return []


def _is_write(call: Call, scan: _FileScan) -> bool:
    if call.short == "open":  # open(path, "w") and path.open("w")
        mode = dict(call.kwargs).get("mode", "")
        m = re.search(r"open\((?:[^,()]+,\s*)?(['\"])([rwaxbt+]+)\1", call.text)
        mode = mode or (m.group(2) if m else "")
        return any(ch in mode for ch in "wax")
    if call.short in _WRITE_SHORT or call.name in ("json.dump", "os.replace", "os.rename", "shutil.move"):
        return True
    low = call.short.lower()
    return "write" in low or "atomic" in low or "dump" in low


def _mentions_progress(call: Call, scan: _FileScan, fs: _FunctionScan) -> bool:
    text = call.text
    if "progress" in text.lower():
        return True
    aliases = scan.progress_aliases | fs.progress_aliases
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?![A-Za-z0-9_])", text) for a in aliases if a)


_UNIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hours?|"
                      r"steps?|it|iters?|iterations?|batch(?:es)?|epochs?)\s*$", re.I)


def parse_interval(text: str) -> tuple[float, str, float | None] | None:
    """'2m' -> (2, 'time', 120); '500steps' -> (500, 'steps', None); None if not an interval string."""
    m = _UNIT_RE.match(text)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit.startswith("s") and not unit.startswith("step"):
        return value, "time", value
    if unit.startswith("m"):
        return value, "time", value * 60
    if unit.startswith("h"):
        return value, "time", value * 3600
    if unit.startswith("e"):
        return value, "epochs", None
    return value, "steps", None


def _unit_from_name(name: str) -> tuple[str, float] | None:
    low = name.lower()
    if re.search(r"(_s|_sec|_secs|_seconds|seconds)$", low):
        return "time", 1.0
    if re.search(r"(_m|_min|_mins|_minutes|minutes)$", low):
        return "time", 60.0
    if re.search(r"(_h|_hours|hours)$", low):
        return "time", 3600.0
    if re.search(r"steps?$|iters?$|batch(es)?$", low):
        return "steps", 1.0
    if re.search(r"epochs?$", low):
        return "epochs", 1.0
    return None


def _unit_from_usage(name: str, scans: list[_FileScan]) -> tuple[str, str] | None:
    for scan in scans:
        for node in scan.mod_exprs:
            if isinstance(node, ast.BinOp):
                right, left = _names_in(node.right), _names_in(node.left)
                if name in right:
                    where = f"{scan.rel}:{node.lineno} `{scan.seg(node)}`"
                    if any("epoch" in n.lower() for n in left):
                        return "epochs", where
                    if any(re.search(r"step|batch|iter", n.lower()) for n in left):
                        return "steps", where
            elif isinstance(node, ast.Compare):
                names = _names_in(node)
                if name in names and any(re.search(r"time|monotonic|elapsed|clock", n.lower()) for n in names):
                    return "time", f"{scan.rel}:{node.lineno} `{scan.seg(node)}`"
    return None


def _intervals(scans: list[_FileScan], fscans: dict, cfg: dict[str, Any]) -> list[Interval]:
    wanted = cfg["interval"]

    def matches(name: str) -> bool:
        return any(name == w or name.startswith(w + "_") for w in wanted)

    found: list[tuple[str, str, ast.AST | None, str, str, int]] = []  # name, where, node, text, file, line
    for scan in scans:
        for fs in scan.functions:
            node = fs.node
            a = node.args
            positional = a.posonlyargs + a.args
            defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
            for arg, d in list(zip(positional, defaults)) + list(zip(a.kwonlyargs, a.kw_defaults)):
                if d is not None and matches(arg.arg):
                    found.append((arg.arg, fs.qualname, d, scan.seg(d), scan.rel, arg.lineno))
        for cls, name, value, line in scan.class_fields:
            if matches(name):
                found.append((name, cls, value, scan.seg(value), scan.rel, line))
        for node, line in scan.options:
            declared = [_norm_option(a.value) for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            for name in declared:
                if matches(name) and default is not None:
                    found.append((name, "option", default, scan.seg(default), scan.rel, line))
    out: list[Interval] = []
    for name, where, node, text, rel, line in found:
        value: float | None = None
        unit, seconds, reason = "unknown", None, "no unit in the name, value or usage"
        const = node.value if isinstance(node, ast.Constant) else None
        if isinstance(const, (int, float)) and not isinstance(const, bool):
            value = float(const)
        parsed = parse_interval(const) if isinstance(const, str) else None
        by_name = _unit_from_name(name)
        if parsed:
            value, unit, seconds = parsed
            reason = f"value {const!r}"
        elif by_name and value is not None:
            unit = by_name[0]
            seconds = value * by_name[1] if unit == "time" else None
            reason = f"name {name!r}"
        elif value is not None:
            usage = _unit_from_usage(name, scans)
            if usage:
                unit, reason = usage[0], f"used as {usage[1]}"
                if unit == "time":
                    seconds = value
        if const is None and not isinstance(node, ast.Constant):
            reason = f"default is an expression ({text})"
        out.append(Interval(name, text, value, unit, seconds, rel, line, where, reason))
    return out
