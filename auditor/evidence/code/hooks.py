"""Hook classes a runner calls by name from its own training loop.

A runner that builds its hooks from configuration (`HOOKS.build(dict(type='CheckpointHook',
interval=1))`) calls them through a dispatcher that looks the method up by name:

    def call_hook(self, fn_name, **kwargs):
        for hook in self._hooks:
            getattr(hook, fn_name)(self, **kwargs)

    ...  # in the batch loop
    self.call_hook("after_train_iter", batch_idx=i, outputs=outputs)

A call naming a method for such a dispatcher (a function that calls `getattr(obj, <its
parameter>)`) reaches the methods of that name of the hook classes the project builds: a
class counts as built when it is called, or named in a string (`type='CheckpointHook'`) of the
project's code or Python configuration files. A hook class nothing builds never runs.

The calls gain these methods as targets before effects are propagated, so the hooks' saves,
logs and progress writes reach the runner's loop with their own guards (`every_n_epochs`).
"""

from __future__ import annotations

import ast
from typing import Any

# the analysis (auditor.evidence.code.flow._Analysis) is passed in; importing its module here would
# make a cycle (flow calls this function)
_Analysis = Any


def add_dispatched_targets(a: _Analysis) -> None:
    """Give every call that names a hook method for a dispatcher the built hook classes' methods of that name."""
    dispatchers = _dispatchers(a)
    if not dispatchers:
        return
    built: set[str] | None = None
    for qual, entries in a.sites.items():
        for i, (call, targets, tags) in enumerate(entries):
            hits = [t for t in targets if t in dispatchers]
            if not hits:
                continue
            built = built_classes(a) if built is None else built
            node = a.nodes[id(call)][0]
            extra: list[str] = []
            for target in hits:
                method = _named_method(node, *dispatchers[target])
                if method:
                    extra += [q for q in a.by_name.get(method, []) if q != qual and q not in targets
                              and (a.fscans[q][1].class_name or "") in built]
            if extra:
                entries[i] = (call, targets + list(dict.fromkeys(extra)), tags)


def _dispatchers(a: _Analysis) -> dict[str, tuple[str, int, bool]]:
    """Functions that call `getattr(obj, P)` on one of their parameters P: qual -> (P, its position, a method)."""
    out: dict[str, tuple[str, int, bool]] = {}
    for qual, (_scan, fs) in a.fscans.items():
        args = getattr(fs.node, "args", None)
        if args is None:
            continue
        positional = [x.arg for x in args.posonlyargs + args.args]
        for call, node in fs.calls:
            if call.name != "getattr" or len(node.args) < 2 or not isinstance(node.args[1], ast.Name):
                continue
            name = node.args[1].id
            if name in positional or name in (x.arg for x in args.kwonlyargs):
                method = bool(fs.class_name) and bool(positional) and positional[0] in ("self", "cls")
                out[qual] = (name, positional.index(name) if name in positional else -1, method)
                break
    return out


def _named_method(node: ast.Call, param: str, index: int, method: bool) -> str:
    """The string a call passes for the dispatcher's name parameter."""
    given = next((k.value for k in node.keywords if k.arg == param), None)
    position = index - (method and isinstance(node.func, ast.Attribute))
    if given is None and index >= 0 and 0 <= position < len(node.args):
        given = node.args[position]
    if isinstance(given, ast.Constant) and isinstance(given.value, str) and given.value.isidentifier():
        return given.value
    return ""


def built_classes(a: _Analysis) -> set[str]:
    """Classes the project creates: called by name, or named in a string (a registry's `type='X'`)."""
    out: set[str] = set()
    for scan in a.scans:
        out |= scan.names_in_strings
        for fs in scan.scopes():
            out |= {call.short for call, _node in fs.calls}
    return out


def unbuilt_plugins(a: _Analysis) -> set[str]:
    """Classes of a family the project builds members of (subclasses of one of its own base classes:
    hooks, callbacks) that it never builds, nor a subclass of: `HeartbeatWriter(HookBase)` left out of
    the hooks a trainer is given has no instance whose methods could run. A class of no such family may
    be built by the project's users (a library's Trainer) and is never counted out."""
    if a.dead_classes is None:
        parents = {cls: {b.split(".")[-1] for b in bases} for scan in a.scans
                   for cls, (bases, _line) in scan.classes.items()}
        alive, frontier = set(), built_classes(a) & set(parents)
        while frontier:
            alive |= frontier
            frontier = {b for cls in frontier for b in parents.get(cls, ())} - alive
        a.dead_classes = {cls for cls, bases in parents.items() if cls not in alive and bases & set(parents)
                          and any(other in alive for other, theirs in parents.items()
                                  if other != cls and theirs & bases & set(parents))}
    return a.dead_classes
