"""The per-file scan: one pass over a module's syntax tree that records, per function, its
calls (with loop depth, the loop they are in, batch-loop hint and surrounding `if` guards,
whose test nodes are kept for auditor.evidence.code.guards), loops, assignments (with their
guards) and returns (for data flow), plus the file's imports, classes and their bases, thread
classes, class fields, attribute assignments (`config.x = 2000`) and CLI options.

Files are parsed with `ast.parse`: never imported, never executed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import notebooks, rxcache, safeio
from auditor.evidence.code.facts import EXCEPT_GUARD, Call, Loop
from auditor.evidence.code.sources import MAX_SOURCE_BYTES
from auditor.evidence.code.syntax import children, dotted, names_in, short_text, source_segment, strings_in

_BATCH_HINT = rxcache.compile(r"batch|loader|dataloader", re.I)
THREAD_CLASSES = {"Thread", "Timer"}
_EXITS = (ast.Return, ast.Continue, ast.Break, ast.Raise)
_IDENTIFIER = rxcache.compile(r"[A-Za-z_]\w{0,80}")
# calls that put a value into a container, for data flow as `found = found + [value]` would
_ADDS = {"append", "extend", "add", "insert", "appendleft", "update", "put"}
# files a progress writer rewrites in place, whatever the project calls them (besides the configured names)
PROGRESS_NAME = rxcache.compile(r"(?:^|[/\\'\".])(?:progress|status|run_status|train(?:ing)?_status)(?:\.\w+)?"
                           r"\.(?:json|txt|yaml|yml)\b|PROGRESS|"
                           # the configuration key that names it: os.path.join(run_dir, cfg.get("status_file"))
                           r"^(?:progress|status|run_status|train(?:ing)?_status)_(?:file|path|json)$", re.I)
# files whose refresh says only "alive": alive.json, heartbeat.txt, .keepalive, liveness
LIVENESS_NAME = rxcache.compile(r"(?:^|[/\\])[._]?(?:alive|heartbeat|liveness|keep_?alive)"
                           r"(?:\.(?:json|txt|yaml|yml|stamp))?$", re.I)


@dataclass(frozen=True)
class GuardNode:
    """One `if` test around a call or an assignment: its node, whether the call is in its else branch (or
    after the `if` that exits early), and whether the `if` is inside a loop of the function (a guard
    outside the loop runs once)."""

    test: ast.AST
    negated: bool
    in_loop: bool
    early: bool = False  # from `if test: return` (or break, continue, raise) before the call, not an `if` around it


class FunctionScan:
    def __init__(self, qualname: str, name: str, node: ast.AST | None, class_name: str | None):
        self.qualname, self.name, self.node, self.class_name = qualname, name, node, class_name
        self.calls: list[tuple[Call, ast.Call]] = []
        self.loops: list[Loop] = []
        self.assigns: list[tuple[set[str], ast.AST]] = []  # (target names, value)
        self.returns: list[ast.AST] = []
        self.return_guards: list[tuple[GuardNode, ...]] = []  # aligned with returns
        self.nested: dict[str, str] = {}  # local def name -> qualname
        self.progress_aliases: set[str] = set()  # local names bound to a progress file path
        self.liveness_aliases: set[str] = set()  # local names bound to a liveness file path (alive.json)
        self.call_guards: dict[int, tuple[GuardNode, ...]] = {}  # id(call node) -> its guards
        self.assign_guards: list[tuple[GuardNode, ...]] = []  # aligned with assigns

    @property
    def mentions_heartbeat(self) -> bool:
        """Named after the heartbeat, itself or its class (a write's own text naming it is checked at the call)."""
        return "heartbeat" in self.name.lower() or "heartbeat" in (self.class_name or "").lower()


class FileScan(ast.NodeVisitor):
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
        for child in children(node):  # no visitor here handles a context or an operator
            self.visit(child)

    def __init__(self, rel: str, text: str, progress_files: tuple[str, ...]):
        self.rel, self.text, self.progress_files = rel, text, progress_files
        self.lines = text.splitlines()
        self.aliases: dict[str, str] = {}
        self.functions: list[FunctionScan] = []
        self.module = FunctionScan("<module>", "<module>", None, None)
        self.main_block = FunctionScan("<main>", "<main>", None, None)
        self.thread_classes: list[tuple[str, int]] = []  # (class name, line) of Thread subclasses
        self.classes: dict[str, tuple[tuple[str, ...], int]] = {}  # class name -> (dotted bases, line)
        self.attr_assigns: list[tuple[str, ast.AST, int]] = []  # (attribute, value, line) of `x.attr = value`
        self.class_fields: list[tuple[str, str, ast.AST, int]] = []  # (class, name, value, line)
        self.dict_keys: list[tuple[str, ast.AST, int]] = []  # (key, value, line) of `{"save_every": ...}` entries
        self.options: list[tuple[ast.Call, int]] = []  # click/argparse option declarations
        self.mod_exprs: list[ast.AST] = []  # `%` operations, comparisons (unit hints)
        self.progress_aliases: set[str] = set()
        self.liveness_aliases: set[str] = set()
        self.names_in_strings: set[str] = set()  # identifier-like string constants (`type='CheckpointHook'`)
        self._fn: list[FunctionScan] = [self.module]
        self._scope: list[str] = [""]  # class name when directly inside a class body, else ""
        self._depth = [0]
        self._batch = [[False]]
        self._guards: list[list[str]] = [[]]
        self._guard_nodes: list[list[GuardNode]] = [[]]
        self._loop_line: list[int] = [0]

    def scopes(self) -> list[FunctionScan]:
        """Every function of the file, its module level and its `if __name__ == "__main__":` block."""
        return self.functions + [self.module, self.main_block]

    def seg(self, node: ast.AST) -> str:
        return short_text(source_segment(self.lines, node))

    # imports --------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}" if node.module else a.name

    # definitions ----------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes[node.name] = (tuple(dotted(b, self.aliases) for b in node.bases), node.lineno)
        for base in node.bases:
            if dotted(base, self.aliases).split(".")[-1] in THREAD_CLASSES:
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
        fn = FunctionScan(qual, node.name, node, cls)
        self.functions.append(fn)
        for deco in node.decorator_list:  # decorators run at definition: CLI options live here
            self.visit(deco)
        self._fn.append(fn)
        self._scope.append("")
        self._depth.append(0)
        self._batch.append([False])
        self._guards.append([])
        self._guard_nodes.append([])
        self._loop_line.append(0)
        self._visit_block(node.body)
        self._loop_line.pop()
        self._guard_nodes.pop()
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
            fn.assigns.append((names_in(node.target), node.iter))
            fn.assign_guards.append(tuple(self._guard_nodes[-1]))
        batch = hint or depth >= 2
        fn = self._fn[-1]
        fn.loops.append(Loop(self.rel, node.lineno, fn.qualname, depth, header, batch))
        self._depth[-1] = depth
        self._batch[-1].append(batch)
        outer_line, self._loop_line[-1] = self._loop_line[-1], node.lineno
        self._visit_block(node.body)
        self._loop_line[-1] = outer_line
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
        in_loop = self._depth[-1] > 0
        self._guards[-1].append(self.seg(node.test))
        self._guard_nodes[-1].append(GuardNode(node.test, False, in_loop))
        self._visit_block(node.body)
        self._guard_nodes[-1].pop()
        self._guards[-1].pop()
        self._guards[-1].append("not (" + self.seg(node.test) + ")")
        self._guard_nodes[-1].append(GuardNode(node.test, True, in_loop))
        self._visit_block(node.orelse)
        self._guard_nodes[-1].pop()
        self._guards[-1].pop()

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        """An except handler's calls run only when its exception is raised: guarded by that, as by an `if`."""
        raised = ast.copy_location(ast.Name(id="Exception", ctx=ast.Load()), node) if node.type is None else node.type
        test = ast.copy_location(ast.Name(id=EXCEPT_GUARD, ctx=ast.Load()), raised)
        test.raised = self.seg(raised) if node.type is not None else "any exception"  # type: ignore[attr-defined]
        self._guards[-1].append(f"except {test.raised}")  # type: ignore[attr-defined]
        self._guard_nodes[-1].append(GuardNode(test, False, self._depth[-1] > 0))
        self._visit_block(node.body)
        self._guard_nodes[-1].pop()
        self._guards[-1].pop()

    def visit_IfExp(self, node: ast.IfExp) -> None:
        """`a() if test else b()`: each branch's calls are guarded by the test as under an `if`."""
        self.visit(node.test)
        in_loop = self._depth[-1] > 0
        for branch, negated in ((node.body, False), (node.orelse, True)):
            self._guards[-1].append(f"not ({self.seg(node.test)})" if negated else self.seg(node.test))
            self._guard_nodes[-1].append(GuardNode(node.test, negated, in_loop))
            self.visit(branch)
            self._guard_nodes[-1].pop()
            self._guards[-1].pop()

    def _visit_block(self, stmts: list[ast.stmt]) -> None:
        """Visit a block's statements; after `if test: return` (or continue, break, raise) with no else,
        the rest of the block runs only when the test is false, as if under `if not test:`."""
        pushed = 0
        for stmt in stmts:
            self.visit(stmt)
            if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body \
                    and isinstance(stmt.body[-1], _EXITS) and not self._is_main_test(stmt.test):
                self._guards[-1].append("not (" + self.seg(stmt.test) + ")")
                self._guard_nodes[-1].append(GuardNode(stmt.test, True, self._depth[-1] > 0, early=True))
                pushed += 1
        for _ in range(pushed):
            self._guard_nodes[-1].pop()
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
            names |= names_in(t)
            if isinstance(t, ast.Attribute):
                self.attr_assigns.append((t.attr, value, t.lineno))
            if alias and (self._mentions_progress_file(value) or names_in(value) & (
                    self.progress_aliases | fn.progress_aliases)):
                _alias(t, self.progress_aliases, self.progress_aliases if fn is self.module else fn.progress_aliases)
            if alias and (_names_file(value, LIVENESS_NAME) or names_in(value) & (
                    self.liveness_aliases | fn.liveness_aliases)):
                _alias(t, self.liveness_aliases, self.liveness_aliases if fn is self.module else fn.liveness_aliases)
        fn.assigns.append((names, value))
        fn.assign_guards.append(tuple(self._guard_nodes[-1]))

    def _mentions_progress_file(self, node: ast.AST) -> bool:
        for text in strings_in(node):
            if any(p.lower() in text.lower() for p in self.progress_files) or PROGRESS_NAME.search(text):
                return True
        return False

    def visit_Assign(self, node: ast.Assign) -> None:
        self._record_assign(node.targets, node.value)
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return  # the names a module exports are not what it builds (nor calls anything)
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
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._record_assign([item.optional_vars], item.context_expr, alias=False)
        self._visit_block(node.body)

    visit_AsyncWith = visit_With

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.dict_keys.append((key.value, value, key.lineno))
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self._fn[-1].returns.append(node.value)
            self._fn[-1].return_guards.append(tuple(self._guard_nodes[-1]))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _IDENTIFIER.fullmatch(node.value):
            self.names_in_strings.add(node.value)

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
        name = dotted(node.func, self.aliases)
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
            loop_line=self._loop_line[-1],
        )
        fn.calls.append((call, node))
        if short in _ADDS and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and (node.args or node.keywords):
            added = ast.copy_location(ast.Tuple([*node.args, *(k.value for k in node.keywords)], ast.Load()), node)
            fn.assigns.append(({node.func.value.id}, added))
            fn.assign_guards.append(tuple(self._guard_nodes[-1]))
        if self._guard_nodes[-1]:
            fn.call_guards[id(node)] = tuple(self._guard_nodes[-1])
        self.generic_visit(node)


@dataclass(frozen=True)
class ScannedFiles:
    """The scans of the files that parsed, and one message per file that did not."""

    scans: tuple[FileScan, ...]
    errors: tuple[str, ...]


def _alias(target: ast.AST, file_wide: set[str], local: set[str]) -> None:
    """An attribute bound to a file's path names it in the whole file, a name only in its scope."""
    if isinstance(target, ast.Attribute):
        file_wide.add(target.attr)
    elif isinstance(target, ast.Name):
        local.add(target.id)


def _names_file(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    """A string constant in the expression names such a file (`out / "alive.json"`, `f"{d}/alive.json"`)."""
    return any(pattern.search(text) for text in strings_in(node))


def scan_files(root: Path, paths: list[Path], progress_files: tuple[str, ...]) -> ScannedFiles:
    """Parse and scan every Python file of `paths` (sources.python_files' listing under `root`)."""
    scans: list[FileScan] = []
    errors: list[str] = []
    within = safeio.project(root)
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            notebook = rel.endswith(".ipynb")
            text = safeio.read_text(path, within=within, cap=notebooks.NOTEBOOK_CAP if notebook else MAX_SOURCE_BYTES,
                                    shown=rel)
            if notebook:
                text = notebooks.code_text(text, rel)
            tree = safeio.parse_python(text, shown=rel)
            scan = FileScan(rel, text, progress_files)
            scan.visit(tree)
        except SyntaxError as exc:
            errors.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
            continue
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed since the listing
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO, a 100k-term expression: one entry, not a column
            errors.append(safeio.describe(exc, rel))
            continue
        scans.append(scan)
    return ScannedFiles(tuple(scans), tuple(errors))
