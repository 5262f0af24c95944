"""File paths handed to the code that writes them.

A progress or liveness file is often named in one place and written in another:

    RunStatus(run_dir / "status.json")   # class RunStatus: self.path = Path(path); ... os.replace(tmp, self.path)
    start_watchdog(out / "alive.json")   # ctx.Process(target=watch, args=(..., str(path)))  ->  _write(path, ...)

`follow` makes a parameter a name for such a file when every call of its function passes it one:
a call by the function's name, a class's construction for its `__init__` (in code, or by a
configuration entry that names the class, `class_path:` with its `init_args:` or Hydra's `_target_`
with its keys, the others left at their defaults), and a `Thread` or `Process` whose `target=` is
the function (its `args=` and `kwargs=`). What a function binds from such
a parameter names the file too (`tmp = path.with_name(...)`), and so does an attribute of `self` set
from one (`self.path = Path(path)`), in every method of the class. A parameter some call passes
another file, or that a call leaves out with no default, names nothing: a helper that writes whatever
it is given is not a progress writer because one of its callers gives it the progress file.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.evidence.code.scan import LIVENESS_NAME, PROGRESS_NAME, FileScan, FunctionScan
from auditor.evidence.code.syntax import names_in, walk

_WORKERS = {"Thread", "Process"}
_NOT_BOUND = {"self", "cls"}
# (the scope's names for the kind of file, the file-wide ones) of one kind of file
Kind = Callable[[FileScan, FunctionScan], tuple[set[str], set[str]]]
Site = tuple[FileScan, FunctionScan, ast.Call, bool]  # the caller's file and scope, the call, bound (self given)


def _progress(scan: FileScan, fs: FunctionScan) -> tuple[set[str], set[str]]:
    return fs.progress_aliases, scan.progress_aliases


def _liveness(scan: FileScan, fs: FunctionScan) -> tuple[set[str], set[str]]:
    return fs.liveness_aliases, scan.liveness_aliases


def follow(scans: tuple[FileScan, ...] | list[FileScan],
           built: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
    """Add to each function's names for progress and liveness files the parameters every caller fills with one.

    `built`: classes a configuration builds, by name, with the arguments each entry gives (scalars)."""
    functions = [(scan, fs) for scan in scans for fs in scan.functions if getattr(fs.node, "args", None) is not None]
    defined: dict[str, int] = {}
    for _scan, fs in functions:
        key = _called_as(fs)
        defined[key] = defined.get(key, 0) + 1
    sites = _call_sites(scans)
    for scan in scans:  # a configuration entry constructs the class as a call with those keywords would
        for cls in set(scan.classes) & set(built or {}):
            for given in (built or {})[cls]:
                keywords = [ast.keyword(arg=k, value=ast.Constant(v)) for k, v in given.items()
                            if isinstance(v, (str, int, float, bool)) or v is None]
                sites.setdefault(cls, []).append((scan, scan.module, ast.Call(ast.Name(cls), [], keywords), False))
    candidates = [(scan, fs, sites[_called_as(fs)]) for scan, fs in functions
                  if defined[_called_as(fs)] == 1 and _called_as(fs) in sites]
    parameters = sum(len(_parameters(fs)) for _scan, fs, _sites in candidates)
    for kind, named in ((_progress, _progress_file), (_liveness, _liveness_file)):
        for _ in range(parameters + 1):  # each pass that changes anything names one more parameter
            if not _pass(candidates, kind, named):
                break


def _pass(candidates: list[tuple[FileScan, FunctionScan, list[Site]]], kind: Kind,
          named: Callable[[str, FileScan], bool]) -> bool:
    """One pass over the functions: name the parameters every call now fills with the file; whether any was."""
    changed = False
    for scan, fs, calls in candidates:
        for param in _parameters(fs):
            if param in kind(scan, fs)[0]:
                continue
            # site by site, up to the first that does not fill it (what a call gives is the call's own)
            if all((arg := _passed(fs, param, site)) is not None and _names(arg, site[0], site[1], kind, named)
                   for site in calls):
                _bind(scan, fs, param, kind)
                changed = True
    return changed


def _called_as(fs: FunctionScan) -> str:
    return fs.class_name if fs.name == "__init__" and fs.class_name else fs.name


def _parameters(fs: FunctionScan) -> list[str]:
    args = fs.node.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg not in _NOT_BOUND]


def _call_sites(scans: tuple[FileScan, ...] | list[FileScan]) -> dict[str, list[Site]]:
    """Calls by the name they call (a class's name for its constructor); a worker's target as a call of it."""
    out: dict[str, list[Site]] = {}
    for scan in scans:
        for fs in scan.scopes():
            for call, node in fs.calls:
                out.setdefault(call.short, []).append((scan, fs, node, isinstance(node.func, ast.Attribute)))
                target = next((k.value for k in node.keywords if k.arg == "target"), None)
                if call.short in _WORKERS and isinstance(target, (ast.Name, ast.Attribute)):
                    name = target.id if isinstance(target, ast.Name) else target.attr
                    bound = isinstance(target, ast.Attribute)
                    out.setdefault(name, []).append((scan, fs, _as_call(node, target), bound))
    return out


def _as_call(worker: ast.Call, target: ast.AST) -> ast.Call:
    """`Process(target=f, args=(a, b), kwargs={"c": c})` read as `f(a, b, c=c)`."""
    args = next((k.value for k in worker.keywords if k.arg == "args"), None)
    kwargs = next((k.value for k in worker.keywords if k.arg == "kwargs"), None)
    positional = list(args.elts) if isinstance(args, (ast.Tuple, ast.List)) else []
    keywords = [ast.keyword(arg=k.value, value=v) for k, v in zip(kwargs.keys, kwargs.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)] if isinstance(kwargs, ast.Dict) else []
    if args is not None and not isinstance(args, (ast.Tuple, ast.List)):
        positional = [ast.Starred(value=args)]  # arguments this reading cannot see
    return ast.Call(func=target, args=positional, keywords=keywords)


def _passed(fs: FunctionScan, param: str, site: Site) -> ast.AST | None:
    """What a call gives the parameter (its default when the call leaves it out); None when it cannot be told."""
    _scan, _caller, node, bound = site
    args = fs.node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    given = next((k.value for k in node.keywords if k.arg == param), None)
    if given is not None:
        return given
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    if param in positional:
        implicit = positional[0] in _NOT_BOUND and (bound or fs.name == "__init__")  # self is given
        index = positional.index(param) - implicit
        if 0 <= index < len(node.args):
            return node.args[index]
        defaults = args.defaults
        at = positional.index(param) - (len(positional) - len(defaults))
        return defaults[at] if 0 <= at < len(defaults) else None
    at = [a.arg for a in args.kwonlyargs].index(param) if param in [a.arg for a in args.kwonlyargs] else -1
    return args.kw_defaults[at] if at >= 0 else None


def _progress_file(text: str, scan: FileScan) -> bool:
    return any(p.lower() in text.lower() for p in scan.progress_files) or bool(PROGRESS_NAME.search(text))


def _liveness_file(text: str, scan: FileScan) -> bool:
    return bool(LIVENESS_NAME.search(text))


def _names(node: ast.AST, scan: FileScan, fs: FunctionScan, kind: Kind, named: Callable[[str, FileScan], bool]) -> bool:
    """The expression names the file: a string naming it, or a name bound to its path."""
    local, file_wide = kind(scan, fs)
    if names_in(node) & (local | file_wide):
        return True
    return any(isinstance(sub, ast.Constant) and isinstance(sub.value, str) and named(sub.value, scan)
               for sub in walk(node))


def _bind(scan: FileScan, fs: FunctionScan, param: str, kind: Kind) -> None:
    """The parameter names the file in its function, and so does what the function binds from it; an
    attribute of `self` bound from it names the file in every method of the class."""
    local, _ = kind(scan, fs)
    local.add(param)
    _grow(fs, local)
    if not fs.class_name:
        return
    attrs = _self_attrs(fs, local)
    for _ in range(len(scan.functions) + 1):  # and what a method sets from those (`self.path = run / self.name`)
        more: set[str] = set()
        for method in scan.functions:
            if method.class_name == fs.class_name and attrs - kind(scan, method)[0]:
                kind(scan, method)[0].update(attrs)
                _grow(method, kind(scan, method)[0])
            if method.class_name == fs.class_name:
                more |= _self_attrs(method, kind(scan, method)[0])
        if not more - attrs:
            return
        attrs |= more


def _self_attrs(fs: FunctionScan, local: set[str]) -> set[str]:
    """The attributes of `self` a function sets from a name of the file."""
    return {t.attr for sub in walk(fs.node) if isinstance(sub, ast.Assign) and names_in(sub.value) & local
            for t in sub.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id == "self"}


def _grow(fs: FunctionScan, local: set[str]) -> None:
    """What the function binds from a name of the file names it too (`tmp = path.with_name(...)`)."""
    for _ in range(len(fs.assigns) + 1):
        grown = {n for names, value in fs.assigns if names_in(value) & local for n in names} - _NOT_BOUND - local
        if not grown:
            return
        local |= grown

