"""Threads of the training code: which are created, what their target does, and whether and
where they are started.

A heartbeat is often created in one method and started in another (`self._heartbeat =
threading.Thread(target=self._beat)` in `__init__`, `self._heartbeat.start()` in `fit()`), or
is a `threading.Thread` subclass created in one place and started through the name it was
bound to. A thread counts as started only when `.start()` is called on what it was bound to
(or on the call itself); one that is constructed and only ever `.stop()`ped never ran.
"""

from __future__ import annotations

import ast
from typing import Any

from auditor.evidence.code.facts import HEARTBEAT, PROGRESS, Call, Effect, ThreadStart
from auditor.evidence.code.scan import THREAD_CLASSES, FileScan, FunctionScan
from auditor.evidence.code.syntax import dotted, walk

# the analysis (auditor.evidence.code.flow._Analysis) is passed in; importing its module here would
# make a cycle (flow calls these functions)
_Analysis = Any

_NOT_BOUND = {"self", "cls"}


def is_process(call: Call, scan: FileScan) -> bool:
    """`multiprocessing.Process(...)` (or torch's), or `ctx.Process(...)` on a context from `get_context()`: a
    worker that runs its target beside the training loop, as a thread does."""
    if call.short != "Process":
        return False
    if call.name.startswith(("multiprocessing.", "torch.multiprocessing.")):
        return True
    receiver = call.name.rsplit(".", 1)[0] if "." in call.name else ""
    return bool(receiver) and any(receiver in names and isinstance(value, ast.Call)
                                  and dotted(value.func, scan.aliases).endswith("get_context")
                                  for fs in scan.scopes() for names, value in fs.assigns)


def thread_target_quals(node: ast.Call, scan: FileScan, fs: FunctionScan, by_name: dict[str, list[str]]) -> list[str]:
    """The scanned functions a `Thread(target=...)` / `Timer(interval, function)` runs."""
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


def thread_class_runs(scans: tuple[FileScan, ...], fscans: dict[str, tuple[FileScan, FunctionScan]]) -> dict[str, list[str]]:
    """Thread subclass name -> the `run` methods a call creating it starts (`Heartbeat(...)`)."""
    out: dict[str, list[str]] = {}
    for scan in scans:
        for name, _line in scan.thread_classes:
            if f"{scan.rel}::{name}.run" in fscans:
                out.setdefault(name, []).append(f"{scan.rel}::{name}.run")
    return out


def _bound(node: ast.Call, fs: FunctionScan) -> set[str]:
    """The names and attributes a call's result is bound to (`hb = ...`, `self._heartbeat = ...`)."""
    out: set[str] = set()
    for names, value in fs.assigns:
        if value is node:
            out |= set(names) - _NOT_BOUND
    return out


def _start_call(bound: set[str], node: ast.Call, scan: FileScan) -> Call | None:
    """The `.start()` call on what the thread was bound to, anywhere in its file (or on the call itself)."""
    for fs in scan.scopes():
        for call, other in fs.calls:
            if call.short != "start":
                continue
            receiver = other.func.value if isinstance(other.func, ast.Attribute) else None
            if receiver is node:
                return call
            last = call.name.rsplit(".", 1)[0].split(".")[-1] if "." in call.name else ""
            if last and last in bound:
                return call
    return None


def thread_starts(a: _Analysis) -> list[ThreadStart]:
    threads: list[ThreadStart] = []
    for qual, (scan, fs) in a.fscans.items():
        for call, node in fs.calls:
            if (call.short in THREAD_CLASSES and call.name.split(".")[0] in ("threading", call.short)) \
                    or is_process(call, scan):
                threads.append(_thread(a, qual, scan, fs, call, node))
    for scan in a.scans:
        for cls_name, line in scan.thread_classes:
            threads.append(_subclass(a, scan, cls_name, line))
    return threads


def _effects_of(a: _Analysis, quals: list[str]) -> dict[str, Effect]:
    effs: dict[str, Effect] = {}
    for t in quals:
        for tag, eff in a.effects.get(t, {}).items():
            effs.setdefault(tag, eff)
    return effs


def _thread(a: _Analysis, qual: str, scan: FileScan, fs: FunctionScan, call: Call, node: ast.Call) -> ThreadStart:
    """A `Thread(target=...)` / `Timer(interval, function)` call, with the effects of its target."""
    target_node = next((k.value for k in node.keywords if k.arg in ("target", "function")), None)
    if target_node is None and call.short == "Timer" and len(node.args) >= 2:
        target_node = node.args[1]
    quals = thread_target_quals(node, scan, fs, a.by_name)
    effs = _effects_of(a, quals)
    reached = list(quals)
    if isinstance(target_node, ast.Lambda):
        for sub in walk(target_node.body):
            if isinstance(sub, ast.Call):
                inner = next((c for c, n in fs.calls if n is sub), None)
                if inner:
                    reached += a.resolve(inner, scan, fs)
                    for tag, eff in _effects_of(a, a.resolve(inner, scan, fs)).items():
                        effs.setdefault(tag, eff)
    repeats = _repeats(a, reached)
    start = _start_call(_bound(node, fs), node, scan)
    if start is not None and f"{start.file}::{start.function}" in quals:
        # a Timer re-arming itself from its own target: it runs once something else calls that target
        start, repeats = _kicked_off(a, quals), True
    elif start is not None and start.function != fs.qualname and not _called(a, f"{start.file}::{start.function}"):
        start = None  # `def start(self): self._thread.start()` that nothing calls starts nothing
    return ThreadStart(
        file=scan.rel, line=call.line, function=fs.qualname, kind=call.short,
        target=scan.seg(target_node) if target_node is not None else "",
        target_function=quals[0].split("::")[-1] if quals else None,
        effects=tuple(sorted(effs.values(), key=lambda e: e.tag)),
        started=start is not None, reachable=qual in a.ctx,
        start_file=start.file if start else "", start_line=start.line if start else 0, repeats=repeats)


def _repeats(a: _Analysis, quals: list[str], depth: int = 0) -> bool:
    """Whether a thread's target refreshes its liveness signal: it writes one (or calls what does) in a loop
    of its own, or of a function it calls (`while not stop.wait(30): beat()`), not once and returns."""
    for q in quals:
        for call, targets, tags in a.sites.get(q, []):
            if not (set(tags) & _LIVENESS or any(a.effects.get(t, {}).keys() & _LIVENESS for t in targets)):
                continue
            if call.loop_depth > 0 or (depth < 3 and _repeats(a, targets, depth + 1)):
                return True
    return False


_LIVENESS = {HEARTBEAT, PROGRESS}


def _called(a: _Analysis, qual: str) -> bool:
    """Whether something calls the function `qual` (module-level code is always run; the entry is called)."""
    if qual.endswith(("::<module>", "::<main>")) or qual == f"{a.entry_file}::{a.entry_func}":
        return True
    return any(qual in targets for caller, sites in a.sites.items() if caller != qual for _c, targets, _t in sites)


def _kicked_off(a: _Analysis, targets: list[str]) -> Call | None:
    """The call outside the thread's own class that calls its target, directly or through the class's
    own methods (`Heartbeat(...).start()` calling `self._beat()`, which re-arms a Timer on itself)."""
    own = {t.rsplit(".", 1)[0] for t in targets if "." in t.split("::")[-1]}
    inside, frontier = set(targets), set(targets)
    for _ in range(6):
        callers: set[str] = set()
        for caller, entries in a.sites.items():
            if caller in inside:
                continue
            for call, called, _tags in entries:
                if frontier.intersection(called):
                    if "." not in caller.split("::")[-1] or caller.rsplit(".", 1)[0] not in own:
                        return call
                    callers.add(caller)
        frontier = callers
        inside |= callers
        if not frontier:
            return None
    return None


def _subclass(a: _Analysis, scan: FileScan, cls_name: str, line: int) -> ThreadStart:
    """A Thread subclass: started when an instance is created and `.start()`ed (or starts itself)."""
    run_q = f"{scan.rel}::{cls_name}.run"
    effs = a.effects.get(run_q, {})
    start: Call | None = None
    created = False
    for qual, (other, fs) in a.fscans.items():
        for call, node in fs.calls:
            if call.short != cls_name or qual not in a.ctx:
                continue
            created = True
            start = start or _start_call(_bound(node, fs), node, other)
    init = a.fscans.get(f"{scan.rel}::{cls_name}.__init__")
    if start is None and init is not None:  # self.start() in its own __init__
        start = next((c for c, _ in init[1].calls if c.name == "self.start"), None) if created else None
    return ThreadStart(
        file=scan.rel, line=line, function=cls_name, kind="subclass", target=f"{cls_name}.run",
        target_function=f"{cls_name}.run" if run_q in a.fscans else None,
        effects=tuple(sorted(effs.values(), key=lambda e: e.tag)), started=start is not None, reachable=created,
        start_file=start.file if start else "", start_line=start.line if start else 0,
        repeats=_repeats(a, [run_q]))
