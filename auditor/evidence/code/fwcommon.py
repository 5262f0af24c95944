"""Helpers the framework adapters share: call sites with their nodes, the framework a call
belongs to, keywords, the framework's own loop as a loop call, and configuration entries
standing as call sites."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from auditor.evidence.code.facts import Call, Effect, LoopCall

if TYPE_CHECKING:
    from auditor.evidence.code.scan import FileScan, FunctionScan


@dataclass(frozen=True)
class Site:
    """A call of the scanned code with its AST node and the file's scan."""

    call: Call
    node: ast.Call
    scan: FileScan
    function: FunctionScan  # the scope holding the call


def imports(scan: FileScan, packages: tuple[str, ...]) -> bool:
    return any(target.split(".")[0] in packages for target in scan.aliases.values())


def sites(scan: FileScan) -> Iterable[Site]:
    for fs in scan.scopes():
        for call, node in fs.calls:
            yield Site(call, node, scan, fs)


def package(call: Call) -> str:
    """The top-level package a call's resolved name starts with."""
    return call.name.split(".")[0]


def keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def keyword_line(node: ast.Call, name: str) -> int:
    return next((k.lineno for k in node.keywords if k.arg == name), node.lineno)


def number(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def framework_loop(call: Call, effect: Effect, batch: bool = True) -> LoopCall:
    """The framework's own loop: it iterates batches and runs the callback / save check at every step
    (or, `batch=False`, at every epoch)."""
    return LoopCall(call, depth=1, batch_loop=batch, effects=(effect,))


def config_call(file: str, line: int, name: str, text: str) -> Call:
    """A configuration entry (a YAML or JSON key) standing as the call site that states the policy."""
    return Call(file=file, line=line, function="<config>", name=name, short=name, loop_depth=0, batch_loop=False,
                kwargs=(), n_args=0, text=text)


def bound_to(scan: FileScan, packages: tuple[str, ...], classes: tuple[str, ...]) -> set[str]:
    """Names and attributes a file binds to instances of the given classes of the given packages."""
    out: set[str] = set()
    for fs in scan.scopes():
        made = {id(node) for call, node in fs.calls
                if call.short in classes and package(call) in packages}
        for names, value in fs.assigns:
            if id(value) in made:
                out |= set(names) - {"self", "cls"}
    return out


def receiver_of(node: ast.Call) -> str:
    func = node.func
    if not isinstance(func, ast.Attribute):
        return ""
    value = func.value
    return value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) else ""


def subclasses_of(scans: list[FileScan], is_base: Callable[[str], bool]) -> dict[str, FileScan]:
    """The project's subclasses of a framework's callback class (`is_base` of a dotted base name), directly
    or through another of them, by name, with the file that defines each."""
    found: dict[str, FileScan] = {}
    for _ in range(8):
        grown = False
        for scan in scans:
            for cls, (bases, _line) in scan.classes.items():
                if cls not in found and any(is_base(b) or b.split(".")[-1] in found for b in bases):
                    found[cls] = scan
                    grown = True
        if not grown:
            break
    return found


def hook_loop_calls(scan: FileScan, cls: str, a: Any, inner: set[str], outer: set[str], via: tuple[str, ...],
                    dropped: Callable[[str, str], bool] = lambda _hook, _guard: False) -> list[LoopCall]:
    """The calls in a callback class's hooks that a framework runs in its loops: `inner` hooks in the
    per-batch loop, `outer` ones in the loop around it; a guard `dropped(hook, its text)` says is not one."""
    out: list[LoopCall] = []
    for hook in sorted(inner | outer):
        for call, targets, tags in a.sites.get(f"{scan.rel}::{cls}.{hook}", []):
            effects = tuple(Effect(e.tag, e.site, (*via, f"{cls}.{hook}", *e.via),
                                   tuple(g for g in e.guards if not dropped(hook, g.text)))
                            for e in a.call_effects(call, targets, tags, in_loop_only=False))
            if effects:
                out.append(LoopCall(call, depth=2 if hook in inner else 1, batch_loop=hook in inner, effects=effects))
    return out
