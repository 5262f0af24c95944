"""Values followed through a project's own code: what a name, an attribute or an option holds
by default, where it was declared, without running anything.

A checkpoint interval is rarely a literal at the call: it is `SAVE_EVERY_MIN * 60` with a
module-level constant, `self.cfg.save_every_minutes` with a dataclass field default,
`args.save_every` with an argparse default, `self.save_every` assigned from a parameter in
`__init__`, `config.checkpoint_every_steps` set in an ml_collections config file, `cfg["save_every_s"]`
set in a TOML, YAML or JSON file the code reads. `Values`
holds every declaration of the scanned files (module constants, class fields, parameter
defaults, option defaults, attribute assignments) and `resolve` follows an expression to a
constant, with the file and line of the declaration that gave it, through assignments in the
same function, attributes and simple arithmetic (`* 60`, `timedelta(minutes=...)`).
A name declared with two different values is not resolved (no guessing).
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from auditor.evidence.code.syntax import dotted, option_name

if TYPE_CHECKING:
    from auditor.evidence.code.configfiles import Node
    from auditor.evidence.code.scan import FileScan, FunctionScan

MAX_DEPTH = 8
_TIMEDELTA = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 1e-3,
              "microseconds": 1e-6}
_TIMEDELTA_ORDER = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")


@dataclass(frozen=True)
class Value:
    """A constant an expression evaluates to, and the declaration it came from."""

    value: Any  # int, float, str, bool or None
    file: str
    line: int
    name: str  # the name it was declared under ("" for a literal at the use)
    how: str  # "module constant", "field", "option --x", "parameter", "attribute", "local", "literal", "config key"
    factor: float = 1.0  # what arithmetic at the use multiplied the declared number by (`* 60`)
    seconds_by_call: bool = False  # a timedelta(...) gave it in seconds

    @property
    def number(self) -> float | None:
        v = self.value
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


_Decl = tuple[ast.AST, "FileScan", "FunctionScan | None", int]  # value node, its file, its scope, line


class Values:
    """Every declaration of the scanned files, by name."""

    def __init__(self, scans: tuple[FileScan, ...] | list[FileScan], settings: Sequence[Node] = ()) -> None:
        self.module: dict[tuple[str, str], list[_Decl]] = {}
        self.fields: dict[str, list[_Decl]] = {}
        self.options: dict[str, list[_Decl]] = {}
        self.params: dict[str, list[_Decl]] = {}
        self.attrs: dict[str, list[_Decl]] = {}
        self.keys: dict[str, list[_Decl]] = {}  # string keys of dict literals (a settings dict's entries)
        self.calls: dict[str, list[tuple[ast.Call, FileScan, FunctionScan]]] = {}  # short name -> call sites
        self.defined: dict[str, int] = {}  # function and class name -> how many the scanned files define
        self.settings = config_settings(scans)
        self.data: dict[str, list[tuple[Any, str, int]]] = {}  # key -> (value, file, line) in the data config files
        for mapping in settings:
            for key, value in mapping.values.items():
                if isinstance(value, (int, float, str, bool)):
                    self.data.setdefault(key, []).append((value, mapping.file, mapping.line_of(key)))
        tops = {Path(s.rel).parts[0].removesuffix(".py") for s in scans}
        for scan in scans:
            self._index_calls(scan, tops)
            for names, value in scan.module.assigns:
                if len(names) == 1:
                    self.module.setdefault((scan.rel, next(iter(names))), []).append((value, scan, scan.module,
                                                                                       value.lineno))
            for _cls, name, value, line in scan.class_fields:
                self.fields.setdefault(name, []).append((value, scan, None, line))
            for node, line in scan.options:
                default = next((k.value for k in node.keywords if k.arg == "default"), None)
                action = next((k.value.value for k in node.keywords if k.arg == "action"
                               and isinstance(k.value, ast.Constant)), None)
                if default is None and action in ("store_true", "store_false"):  # a flag: off (or on) unless given
                    default = ast.copy_location(ast.Constant(action == "store_false"), node)
                dest = next((k.value.value for k in node.keywords if k.arg == "dest" and isinstance(k.value, ast.Constant)),
                            None)
                flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                names = [dest] if dest else [option_name(f) for f in flags if f.startswith("--")] or [
                    option_name(f) for f in flags[:1]]
                for name in names:
                    if default is not None:
                        self.options.setdefault(name, []).append((default, scan, _scope_at(scan, line), line))
            for fs in scan.functions:
                args = getattr(fs.node, "args", None)
                if args is None:
                    continue
                positional = args.posonlyargs + args.args
                defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
                for arg, d in list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults)):
                    if d is not None:
                        self.params.setdefault(arg.arg, []).append((d, scan, None, arg.lineno))
            for attr, value, line in scan.attr_assigns:
                self.attrs.setdefault(attr, []).append((value, scan, _scope_at(scan, line), line))
            for key, value, line in scan.dict_keys:
                self.keys.setdefault(key, []).append((value, scan, _scope_at(scan, line), line))

    def _index_calls(self, scan: FileScan, tops: set[str]) -> None:
        """Calls by short name that may call the project's own functions (not `torch.load` for our `load`)."""
        for fs in scan.functions:
            self.defined[fs.name] = self.defined.get(fs.name, 0) + 1
        for cls in scan.classes:
            self.defined[cls] = self.defined.get(cls, 0) + 1
        for fs in scan.scopes():
            for call, node in fs.calls:
                root = call.name.split(".")[0]
                if "." in call.name and root in scan.aliases and scan.aliases[root].split(".")[0] not in tops:
                    continue
                self.calls.setdefault(call.short, []).append((node, scan, fs))

    # ------------------------------------------------------------------ resolving

    def resolve(self, node: ast.AST | None, scan: FileScan, fs: FunctionScan | None, depth: int = 0) -> Value | None:
        """The constant `node` evaluates to by default, or None when it cannot be told."""
        if node is None or depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant) and not isinstance(node.value, bytes):
            return Value(node.value, scan.rel, node.lineno, "", "literal")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.resolve(node.operand, scan, fs, depth + 1)
            return _scaled(inner, -1.0) if inner is not None and inner.number is not None else None
        if isinstance(node, ast.BinOp):
            return self._arithmetic(node, scan, fs, depth)
        if isinstance(node, ast.Call):
            return self._call(node, scan, fs, depth)
        if isinstance(node, ast.Name):
            return self._name(node.id, scan, fs, depth)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and fs is not None and fs.class_name:
                # `self.interval` in a method: what its own class assigns first (hook classes share names)
                own = [d for d in self.attrs.get(node.attr, []) if d[2] is not None and d[2].class_name == fs.class_name]
                found = self._unique(own, node.attr, "attribute", depth) if own else None
                if found is not None:
                    return found
            if isinstance(node.value, ast.Name) and not _local(fs, node.value.id) \
                    and self._declares(scan.aliases.get(node.value.id, ""), node.attr):
                return self._module_attribute(scan.aliases[node.value.id], node.attr, depth)
            return self._attribute(node.attr, scan, depth)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            # cfg["lr"] reads the setting cfg.lr would, else the key of the configuration files the code reads
            key = node.slice.value
            return self._attribute(key, scan, depth) or self._setting(key) or (
                self._unique(self.keys[key], key, "dict key", depth) if key in self.keys else None)
        return None

    def _name(self, name: str, scan: FileScan, fs: FunctionScan | None, depth: int) -> Value | None:
        if fs is not None and fs is not scan.module:
            local = [v for names, v in fs.assigns if names == {name}]
            if len(local) == 1:
                found = self.resolve(local[0], scan, fs, depth + 1)
                if found is not None:
                    return found if found.name else _named(found, name, "local")
            if _is_parameter(fs, name):
                # what its callers pass, when they all pass it and agree (`Runner(resume=cfg.get("resume"))`)
                passed = self._passed(fs, name, depth)
                if passed is not None:
                    return passed
                default = _parameter_default(fs, name)
                if default is not None:
                    return self._unique([(default, scan, None, default.lineno)], name, "parameter", depth)
                # else what the project's declarations of that name agree on (`train(..., flag=False)` and
                # `--flag` off unless given)
                return self._unique(self.params.get(name, []) + self.options.get(name, []), name, "parameter", depth)
        declared = self.module.get((scan.rel, name))
        if declared:
            return self._unique(declared, name, "module constant", depth)
        imported = scan.aliases.get(name, "")
        if imported and "." in imported:
            module, _, attr = imported.rpartition(".")
            tail = module.split(".")[-1]
            for (rel, n), decls in self.module.items():
                if n == attr and rel.rsplit("/", 1)[-1].removesuffix(".py") == tail:
                    return self._unique(decls, attr, "module constant", depth)
        return None

    def _passed(self, fs: FunctionScan, name: str, depth: int) -> Value | None:
        """The value every call of the function passes for parameter `name` (its name must be unique)."""
        args = fs.node.args
        constructor = fs.name == "__init__" and bool(fs.class_name)
        if self.defined.get(fs.class_name if constructor else fs.name) != 1:
            return None
        positional = [a.arg for a in args.posonlyargs + args.args]
        index = positional.index(name) if name in positional else None
        method = bool(fs.class_name) and bool(args.args) and args.args[0].arg in ("self", "cls")
        if constructor:  # `Runner(...)`, and `cls(...)` in the class's own classmethods
            sites = self.calls.get(fs.class_name, []) + [c for c in self.calls.get("cls", [])
                                                         if c[2].class_name == fs.class_name]
        else:
            sites = self.calls.get(fs.name, [])
        decls: list[_Decl] = []
        for call, scan, caller in sites:
            given = next((k.value for k in call.keywords if k.arg == name), None)
            implicit = constructor or (method and isinstance(call.func, ast.Attribute))
            position = None if index is None else index - implicit
            if given is None and position is not None and 0 <= position < len(call.args) \
                    and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
                given = call.args[position]
            if given is None:
                return None
            decls.append((given, scan, caller, given.lineno))
        return self._unique(decls, name, "parameter", depth) if decls else None

    def _module_attribute(self, module: str, attr: str, depth: int) -> Value | None:
        """`settings.CHECKPOINT_EVERY_MIN` after `import settings`: the constant of the scanned module of that
        name, together with every `x.CHECKPOINT_EVERY_MIN = ...` of the project (a reassignment that disagrees
        leaves it unresolved)."""
        return self._unique(self._declared(module, attr) + self.attrs.get(attr, []), attr, "module constant", depth)

    def _declared(self, module: str, attr: str) -> list[_Decl]:
        tail = module.split(".")[-1]
        return [d for (rel, n), decls in self.module.items() if n == attr
                and rel.rsplit("/", 1)[-1].removesuffix(".py") == tail for d in decls] if tail else []

    def _declares(self, module: str, attr: str) -> bool:
        return bool(self._declared(module, attr))

    def _attribute(self, attr: str, scan: FileScan, depth: int) -> Value | None:
        for table, how in ((self.options, f"option --{attr.replace('_', '-')}"), (self.fields, "field"),
                           (self.attrs, "attribute")):
            decls = table.get(attr)
            if decls:
                found = self._unique(decls, attr, how, depth)
                if found is not None:
                    return found
        return None

    def _setting(self, key: str) -> Value | None:
        """A key of the YAML/JSON/TOML configuration files, when every file that sets it agrees."""
        entries = self.data.get(key, [])
        if not entries or len({repr(v) for v, _, _ in entries}) != 1:
            return None
        value, file, line = entries[0]
        others = sorted({f"{f}:{n}" for _, f, n in entries[1:]})
        return Value(value, file, line, key, "config key" + (f"; the same in {', '.join(others[:3])}" if others else ""))

    def _unique(self, decls: list[_Decl], name: str, how: str, depth: int) -> Value | None:
        """The value the declarations agree on; None when they disagree or none resolves."""
        found: list[Value] = []
        for node, scan, scope, line in decls:
            value = self.resolve(node, scan, scope, depth + 1)
            if value is None:
                continue
            found.append(value if value.how != "literal" else
                         Value(value.value, scan.rel, line, name, how, seconds_by_call=value.seconds_by_call))
        if not found or len({repr(v.value) for v in found}) != 1:
            return None
        return found[0]

    def _arithmetic(self, node: ast.BinOp, scan: FileScan, fs: FunctionScan | None, depth: int) -> Value | None:
        left = self.resolve(node.left, scan, fs, depth + 1)
        right = self.resolve(node.right, scan, fs, depth + 1)
        if left is None or right is None or left.number is None or right.number is None:
            return None
        declared, other = (left, right) if left.how != "literal" or right.how == "literal" else (right, left)
        a, b = left.number, right.number
        if isinstance(node.op, ast.Mult):
            return _scaled(declared, other.number)
        if isinstance(node.op, ast.Div) and b:
            return _scaled(declared, 1 / b) if declared is left else Value(a / b, declared.file, declared.line,
                                                                             declared.name, declared.how)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            total = a + b if isinstance(node.op, ast.Add) else a - b
            return Value(total, declared.file, declared.line, declared.name, declared.how)
        return None

    def _call(self, node: ast.Call, scan: FileScan, fs: FunctionScan | None, depth: int) -> Value | None:
        name = dotted(node.func, scan.aliases).split(".")[-1]
        if name == "timedelta":
            total, first = 0.0, None
            pairs = list(zip(_TIMEDELTA_ORDER, node.args)) + [(k.arg, k.value) for k in node.keywords]
            for unit, arg in pairs:
                value = self.resolve(arg, scan, fs, depth + 1)
                if unit not in _TIMEDELTA or value is None or value.number is None:
                    return None
                total += value.number * _TIMEDELTA[unit]
                first = first or value
            if first is None:
                return None
            return Value(total, first.file, first.line, first.name, first.how, seconds_by_call=True)
        if name == "total_seconds" and not node.args and isinstance(node.func, ast.Attribute):
            inner = self.resolve(node.func.value, scan, fs, depth + 1)  # a timedelta's length, in seconds
            return inner if inner is not None and inner.seconds_by_call else None
        if name in ("int", "float") and len(node.args) == 1:
            inner = self.resolve(node.args[0], scan, fs, depth + 1)
            if inner is not None and isinstance(inner.value, str):  # float(os.environ.get("X", "120"))
                try:
                    return Value(float(inner.value), inner.file, inner.line, inner.name, inner.how, inner.factor)
                except ValueError:
                    return None
            return inner
        if name in _GETTERS and node.args and _is_text(node.args[0]):
            return self._got(name, node, scan, fs, depth)
        return None

    def _got(self, name: str, node: ast.Call, scan: FileScan, fs: FunctionScan | None, depth: int) -> Value | None:
        """cfg.get("resume", False), configparser's section.getfloat("every_s", fallback=120.0) and
        cfg.getint("section", "every_s", fallback=120): what the project's configuration files set,
        else the default given."""
        args = node.args
        # configparser's getters take (section, option); dict.get's second argument is the default
        key_at = 1 if name != "get" and len(args) > 1 and _is_text(args[1]) else 0
        key = args[key_at].value
        if key in self.settings:
            return self._unique(self.settings[key], key, "config key", depth)
        if key in self.data:
            return self._setting(key)
        default = next((k.value for k in node.keywords if k.arg in ("fallback", "default")), None)
        if default is None and name == "get" and len(args) > 1:
            default = args[1]
        return self.resolve(default, scan, fs, depth + 1) if default is not None else None


_CONFIG_DIRS = {"conf", "config", "configs", "configuration"}
_GETTERS = {"get", "getint", "getfloat", "getboolean"}  # a mapping's, and configparser's typed ones


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def config_settings(scans: tuple[FileScan, ...] | list[FileScan]) -> dict[str, list[_Decl]]:
    """Module-level settings of the project's Python configuration files (under conf/, config/, configs/),
    by name. A file another names as its base (`_base_ = ['./_base_/runtime.py']`) is overridden by it:
    a setting comes from the files no other builds on when they set it, else from the bases."""
    configs = [s for s in scans if _CONFIG_DIRS & set(Path(s.rel).parts[:-1])]
    bases: set[str] = set()
    for scan in configs:
        for _names, value in scan.module.assigns:
            for sub in ast.walk(value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.endswith(".py"):
                    bases.add(posixpath.normpath(posixpath.join(posixpath.dirname(scan.rel), sub.value)))
    out: dict[str, list[_Decl]] = {}
    for group in ([s for s in configs if s.rel not in bases], [s for s in configs if s.rel in bases]):
        found: dict[str, list[_Decl]] = {}
        for scan in group:
            for names, value in scan.module.assigns:
                if len(names) == 1:
                    found.setdefault(next(iter(names)), []).append((value, scan, scan.module, value.lineno))
        for key, decls in found.items():
            out.setdefault(key, decls)
    return out


def _scope_at(scan: FileScan, line: int) -> FunctionScan:
    """The innermost function of the file around a line (the module outside every function)."""
    return next((fs for fs in scan.functions if fs.node is not None
                 and fs.node.lineno <= line <= getattr(fs.node, "end_lineno", line)
                 and not any(o is not fs and o.node is not None and fs.node.lineno < o.node.lineno <= line
                             <= getattr(o.node, "end_lineno", line) for o in scan.functions)),
                scan.module)


def _local(fs: FunctionScan | None, name: str) -> bool:
    """The name is the function's own (a parameter or a local), not the module the file imported under it."""
    return fs is not None and fs.node is not None and (_is_parameter(fs, name) or any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(fs.node)))


def _is_parameter(fs: FunctionScan, name: str) -> bool:
    args = getattr(fs.node, "args", None)
    return args is not None and any(a.arg == name for a in args.posonlyargs + args.args + args.kwonlyargs)


def _parameter_default(fs: FunctionScan, name: str) -> ast.AST | None:
    args = getattr(fs.node, "args", None)
    if args is None:
        return None
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, d in list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults)):
        if arg.arg == name:
            return d
    return None


def _scaled(value: Value, by: float) -> Value:
    return Value(value.number * by, value.file, value.line, value.name, value.how, value.factor * by,
                 value.seconds_by_call)


def _named(value: Value, name: str, how: str) -> Value:
    return Value(value.value, value.file, value.line, name, how, value.factor, value.seconds_by_call)
