"""OpenMMLab / mmengine Python config files, read as data (never executed), with their `_base_` merge.

An mmengine config is a Python module of assignments: `default_hooks = dict(checkpoint=dict(
type='CheckpointHook', interval=1000, by_epoch=False))`, `custom_hooks = [dict(type='MyHook')]`,
`resume = False`. `_base_ = ['../_base_/default_runtime.py', ...]` names files (relative to the
config) whose keys it inherits: a dict given again is merged key by key into the base's (unless it
holds `_delete_=True`, which replaces it), anything else replaces the base's value.

Every value keeps the file and line that set it, so a fact can cite the config line. Only literals
are read: constants, `dict(...)`, `{...}`, lists and tuples, names assigned earlier in the same file,
a base's value by reference (`{{_base_.save_every}}`, mmengine's placeholder, or `_base_.save_every`),
and arithmetic on numbers; anything else is `UNKNOWN` (still cited where it is set).
"""

from __future__ import annotations

import ast
import operator
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from auditor import rxcache, safeio

MAX_CONFIG_BYTES = 512 * 1024
MAX_BASE_DEPTH = 8
# the keys that make a module of assignments an mmengine config (one of them is enough)
CONFIG_KEYS = frozenset({"_base_", "default_hooks", "custom_hooks", "train_cfg", "optim_wrapper", "train_dataloader",
                         "param_scheduler", "load_from", "resume", "default_scope", "runner_type", "log_processor"})


# a top-level assignment of one of those keys: only such files are parsed again as configs
_CANDIDATE = rxcache.compile(r"^(?:(?:" + "|".join(sorted(CONFIG_KEYS)) + r")\s*[:=]|with\s+read_base\s*\()", re.M)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Value:
    """A config value and where it is set: a constant, a dict (str -> Value), a list of Values, or UNKNOWN."""

    value: Any
    file: str
    line: int
    text: str = ""  # the source of the expression, for one that is UNKNOWN

    def get(self, key: str) -> Value | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def plain(self, key: str, default: Any = None) -> Any:
        """The plain value under `key` of a dict value (`default` when absent)."""
        found = self.get(key)
        return default if found is None else found.value


_OPS: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                               ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
                                               ast.Div: operator.truediv}


def is_config(tree: ast.Module) -> bool:
    """A module of assignments (and imports) only, assigning at least one of mmengine's config keys or
    importing its bases under `with read_base():` (the pure-Python style)."""
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        elif read_base(stmt):
            names.add("_base_")
        elif not isinstance(stmt, (ast.Expr, ast.Import, ast.ImportFrom, ast.Delete)):
            return False
    return bool(names & CONFIG_KEYS)


def read_base(stmt: ast.stmt) -> bool:
    """`with read_base():`, the pure-Python style's block of base imports."""
    return isinstance(stmt, ast.With) and any(
        isinstance(item.context_expr, ast.Call) and getattr(item.context_expr.func, "id", "") == "read_base"
        for item in stmt.items)


def imported_bases(rel: str, tree: ast.Module) -> list[str]:
    """The files a pure-Python config imports under `with read_base():` (`from .._base_.x import *`)."""
    out = []
    for stmt in tree.body:
        if not read_base(stmt):
            continue
        for imp in stmt.body:
            if isinstance(imp, ast.ImportFrom) and imp.module:
                folder = posixpath.dirname(rel)
                for _ in range(max(imp.level - 1, 0)):
                    folder = posixpath.dirname(folder)
                path = imp.module.replace(".", "/") + ".py"
                out.append(posixpath.normpath(posixpath.join(folder, path) if imp.level else path))
    return out


def module_values(rel: str, tree: ast.Module, text: str, inherited: dict[str, Value] | None = None,
                  base: dict[str, Value] | None = None) -> dict[str, Value]:
    """The module-level assignments of one config file, in order (a later one replaces an earlier one), over
    what it `inherited` (the pure-Python style's bases), with `name.update(...)` merged in; `base`: the
    merged values of its `_base_` files, which `{{_base_.x}}` and `_base_.x` read."""
    env: dict[str, Value] = dict(inherited or {})
    if base is not None:
        env[_BASE_REF] = Value(base, rel, 1)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    env[target.id] = literal(stmt.value, rel, text, env)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            env[stmt.target.id] = literal(stmt.value, rel, text, env)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _update(stmt.value, rel, text, env)
    env.pop(_BASE_REF, None)
    return env


_BASE_REF = "{{_base_}}"  # in a config's names: its bases' merged values (no Python name can clash)


def _base_reference(node: ast.AST, env: dict[str, Value]) -> Value | None:
    """The base value `{{_base_.a.b}}` (a set of a set, as Python parses mmengine's placeholder) or
    `_base_.a.b` names; None when it is not such a reference or the bases do not hold it."""
    if isinstance(node, ast.Set) and len(node.elts) == 1 and isinstance(node.elts[0], ast.Set) \
            and len(node.elts[0].elts) == 1:
        node = node.elts[0].elts[0]
    keys: list[str] = []
    while isinstance(node, ast.Attribute):
        keys.append(node.attr)
        node = node.value
    if not (keys and isinstance(node, ast.Name) and node.id == "_base_"):
        return None
    found = env.get(_BASE_REF)
    for key in reversed(keys):
        found = found.get(key) if found is not None else None
    return found


def _update(call: ast.Call, rel: str, text: str, env: dict[str, Value]) -> None:
    """`default_hooks.update(dict(...))` / `.update(key=...)`: merged into the dict the name holds."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "update" and isinstance(func.value, ast.Name)):
        return
    old = env.get(func.value.id)
    if old is None or not isinstance(old.value, dict):
        return
    given: dict[str, Value] = {}
    for arg in call.args[:1]:
        value = literal(arg, rel, text, env)
        given.update(value.value if isinstance(value.value, dict) else {})
    given.update({k.arg: literal(k.value, rel, text, env) for k in call.keywords if k.arg})
    env[func.value.id] = Value(merge(old.value, given), old.file, old.line)


def literal(node: ast.AST, rel: str, text: str, env: dict[str, Value]) -> Value:
    """A config expression as a Value; what is not a literal is UNKNOWN, cited at its line."""
    line = getattr(node, "lineno", 1)
    if isinstance(node, ast.Constant):
        return Value(node.value, rel, line)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return Value({k.arg: _entry(k.arg, k.value, rel, text, env) for k in node.keywords if k.arg}, rel, line)
    if isinstance(node, ast.Dict):
        return Value({k.value: _entry(k.value, v, rel, text, env) for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and isinstance(k.value, str)}, rel, line)
    if isinstance(node, (ast.List, ast.Tuple)):
        return Value([literal(e, rel, text, env) for e in node.elts], rel, line)
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, (ast.Set, ast.Attribute)) and (referred := _base_reference(node, env)) is not None:
        return referred
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal(node.operand, rel, text, env)
        if _number(inner.value):
            return Value(-inner.value, rel, line)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = literal(node.left, rel, text, env), literal(node.right, rel, text, env)
        if _number(left.value) and _number(right.value):
            try:
                return Value(_OPS[type(node.op)](left.value, right.value), rel, line)
            except ZeroDivisionError:
                pass
    return Value(UNKNOWN, rel, line, ast.get_source_segment(text, node) or "")


def _entry(key: str, node: ast.AST, rel: str, text: str, env: dict[str, Value]) -> Value:
    """A dict entry; `type=CheckpointHook` (the pure-Python style's imported class) is the class's name."""
    if key == "type" and isinstance(node, (ast.Name, ast.Attribute)) and not (isinstance(node, ast.Name)
                                                                              and node.id in env):
        return Value(node.id if isinstance(node, ast.Name) else node.attr, rel, node.lineno)
    return literal(node, rel, text, env)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge(base: dict[str, Value], child: dict[str, Value]) -> dict[str, Value]:
    """mmengine's merge: a child's dict merges into the base's dict key by key, unless `_delete_=True`."""
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if isinstance(value.value, dict) and old is not None and isinstance(old.value, dict) \
                and value.plain("_delete_") is not True:
            out[key] = Value(merge(old.value, value.value), value.file, value.line)
        elif isinstance(value.value, dict) and "_delete_" in value.value:
            out[key] = Value({k: v for k, v in value.value.items() if k != "_delete_"}, value.file, value.line)
        else:
            out[key] = value
    return out


class Configs:
    """The mmengine config files of a project, each read once, and their merged values."""

    def __init__(self, root: Path, texts: dict[str, str]):
        self.root, self.texts = root, texts
        self._trees: dict[str, ast.Module | None] = {}
        self._merged: dict[str, dict[str, Value]] = {}
        self._values: dict[str, dict[str, Value]] = {}
        self.errors: list[str] = []

    def tree(self, rel: str) -> ast.Module | None:
        if rel not in self._trees:
            text = self.texts.get(rel)
            if text is None:
                text = self._read(rel)
            try:
                self._trees[rel] = safeio.parse_python(text, shown=rel) if text is not None else None
            except (SyntaxError, ValueError, RecursionError) + safeio.READ_ERRORS as exc:
                self.errors.append(f"{rel}: not read as an mmengine config ({str(exc).splitlines()[0][:120]})")
                self._trees[rel] = None
        return self._trees[rel]

    def _read(self, rel: str) -> str | None:
        try:
            text = safeio.read_text(self.root / rel, within=safeio.project(self.root), cap=MAX_CONFIG_BYTES, shown=rel)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except safeio.READ_ERRORS as exc:
            self.errors.append(safeio.describe(exc, rel))
            return None
        self.texts[rel] = text
        return text

    def configs(self) -> list[str]:
        """The project's config files (modules of config assignments), in path order."""
        return sorted(rel for rel, text in self.texts.items() if _CANDIDATE.search(text)
                      and (tree := self.tree(rel)) is not None and is_config(tree))

    def values(self, rel: str) -> dict[str, Value]:
        """The file's own assignments (read once)."""
        if rel not in self._values:
            tree = self.tree(rel)
            self._values[rel] = module_values(rel, tree, self.texts.get(rel, "")) if tree is not None else {}
        return self._values[rel]

    def leaves(self) -> list[str]:
        """The configs a run is started with: those no other config inherits, outside `_base_` folders."""
        every = self.configs()
        inherited = {base for rel in every for base in self.bases(rel)}
        leaves = [rel for rel in every if rel not in inherited and "_base_" not in rel.split("/")[:-1]]
        return leaves or every

    def bases(self, rel: str) -> list[str]:
        given = self.values(rel).get("_base_")
        names = [given.value] if given is not None and isinstance(given.value, str) else [
            v.value for v in (given.value if given is not None and isinstance(given.value, list) else [])
            if isinstance(v.value, str)]
        folder = posixpath.dirname(rel)
        tree = self.tree(rel)
        imported = imported_bases(rel, tree) if tree is not None else []
        return [posixpath.normpath(posixpath.join(folder, name)) for name in names if name.endswith(".py")] + imported

    def merged(self, rel: str, depth: int = 0) -> dict[str, Value]:
        """The values of a config with those of its `_base_` files under them."""
        if rel in self._merged:
            return self._merged[rel]
        tree = self.tree(rel)
        if tree is None or depth > MAX_BASE_DEPTH:
            return {}
        self._merged[rel] = {}  # a base that names its child again adds nothing
        out: dict[str, Value] = {}
        for base in self.bases(rel):
            out = merge(out, self.merged(base, depth + 1))
        if any(read_base(stmt) for stmt in tree.body):  # plain Python: assignments replace, update() merges
            out = module_values(rel, tree, self.texts.get(rel, ""), out)
        else:
            own = module_values(rel, tree, self.texts.get(rel, ""), base=out)
            out = merge(out, {k: v for k, v in own.items() if k != "_base_"})
        self._merged[rel] = out
        return out
