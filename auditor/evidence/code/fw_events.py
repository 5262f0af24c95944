"""Handlers registered on a training engine's events, as code facts (PyTorch-Ignite and the
engines built like it).

The loop is the engine's: the project registers what runs in it,

    @trainer.on(Events.ITERATION_COMPLETED(every=log_interval))
    def log_training_loss(engine): ...

    trainer.add_event_handler(Events.EPOCH_COMPLETED, Checkpoint(to_save, DiskSaver(...)))
    trainer.run(loader, max_epochs=...)

- an event named for iterations (`ITERATION_*`, `*STEP*`, `*BATCH*`) runs its handlers in the
  per-batch loop, one named for epochs in the epoch loop; any other event (`COMPLETED`,
  `STARTED`) runs once, so a save there is not periodic;
- `every=N` is the period the handler runs at (its guard, and a save's interval); `once=` and
  `event_filter=` are conditions, not periods;
- a function handler carries its own effects (with their guards); an object handler is the
  class's `__call__` when the project defines the class, and a checkpoint save when it is a
  checkpoint or saver class of a library (`Checkpoint`, `ModelCheckpoint`, `*Saver`);
- a registration counts when it is reached and the engine it was made on is run (`.run()`,
  `.fit()`, `.train()` on the same name in the same file).

An event is an attribute spelled as a constant (`Events.ITERATION_COMPLETED`): an emitter's
`on("data", ...)` is not a training event.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from auditor import rxcache
from auditor.evidence.code.facts import SAVE, Call, CodeEvidence, Effect, Guard, Interval, LoopCall
from auditor.evidence.code.intervals import save_intervals
from auditor.evidence.code.syntax import short_text

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan, FunctionScan

_EVENT_NAME = rxcache.compile(r"^[A-Z][A-Z0-9_]*$")
_RUNS = {"run", "fit", "train"}
_SAVER = rxcache.compile(r"checkpoint|saver|snapshot", re.I)


def add(ev: CodeEvidence, scans: list[FileScan], a: _Analysis) -> None:
    """Append the loops that registered handlers run in, and the periods of their saves, to `ev`."""
    found: list[LoopCall] = []
    plain: list[Interval] = []
    for scan in scans:
        if ".on(" not in scan.text and "add_event_handler(" not in scan.text:
            continue
        runs = _run_receivers(scan)
        for fs, call, node, handler in _registrations(scan):
            reached = fs.qualname in ("<module>", "<main>") or f"{scan.rel}::{fs.qualname}" in a.ctx
            if not reached or _receiver(node) not in runs:
                continue
            event = _event(node.args[0] if node.args else None)
            if event is None:
                continue
            lc, interval = _loop_call(a, scan, fs, call, event, handler)
            if lc is not None:
                found.append(lc)
                save = lc.effect(SAVE)
                plain += [interval] if interval is not None and save is not None and not save.blocked_by else []
    ev.loop_calls = ev.loop_calls + tuple(found)
    ev.save_intervals = ev.save_intervals + tuple(save_intervals(tuple(found))) + tuple(plain)


def _run_receivers(scan: FileScan) -> set[str]:
    return {_receiver(node) for fs in scan.scopes() for call, node in fs.calls if call.short in _RUNS} - {""}


def _receiver(node: ast.Call) -> str:
    func = node.func
    if not isinstance(func, ast.Attribute):
        return ""
    value = func.value
    return value.attr if isinstance(value, ast.Attribute) else value.id if isinstance(value, ast.Name) else ""


def _registrations(scan: FileScan) -> list[tuple[FunctionScan, Call, ast.Call, object]]:
    """(scope, call, node, handler) of each `engine.on(event)` decorator and `add_event_handler(event, h)` /
    `engine.on(event, h)` call; the handler is a FunctionScan (decorated) or the handler's expression."""
    out: list[tuple[FunctionScan, Call, ast.Call, object]] = []
    decorated: dict[int, FunctionScan] = {}
    for fs in scan.functions:
        for deco in getattr(fs.node, "decorator_list", ()):
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "on":
                decorated[id(deco)] = fs
    for fs in scan.scopes():
        for call, node in fs.calls:
            if id(node) in decorated:
                out.append((fs, call, node, decorated[id(node)]))
            elif call.short in ("add_event_handler", "on") and len(node.args) >= 2:
                out.append((fs, call, node, node.args[1]))
    return out


def _event(node: ast.AST | None) -> tuple[str, ast.Call | None, str] | None:
    """(event name, the event's call when it has filters, its source) of `Events.X` / `Events.X(every=N)`;
    of `A | B`, the first that repeats."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [p for p in (_event(node.left), _event(node.right)) if p is not None]
        return next((p for p in parts if _scope(p[0]) != "once"), parts[0] if parts else None)
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call is not None else node
    if isinstance(target, ast.Attribute) and _EVENT_NAME.match(target.attr):
        return target.attr, call, ast.unparse(node)
    return None


def _scope(name: str) -> str:
    if re.search(r"ITER|STEP|BATCH", name):
        return "steps"
    return "epochs" if "EPOCH" in name else "once"


def _guard(a: _Analysis, scan: FileScan, fs: FunctionScan, event: tuple[str, ast.Call | None, str],
           line: int) -> Guard | None:
    """What the event says about when its handlers run: a period, once only, or a filter."""
    name, call, text = event
    unit = _scope(name)
    shown = short_text(text, 120)
    if unit == "once":
        return Guard(shown, "end", f"only once, on {name}", scan.rel, line)
    kwargs = {k.arg: k.value for k in call.keywords} if call is not None else {}
    if "every" in kwargs:
        every = kwargs["every"]
        return Guard(shown, f"period-{unit}", f"every {short_text(scan.seg(every), 60)} {unit} ({name})", scan.rel,
                     line, (every, a.values.resolve(every, scan, fs)))
    if kwargs or (call is not None and call.args):
        return Guard(shown, "condition", f"{shown} (a filter, not a period)", scan.rel, line)
    return None


def _loop_call(a: _Analysis, scan: FileScan, fs: FunctionScan, call: Call, event: tuple[str, ast.Call | None, str],
               handler: object) -> tuple[LoopCall | None, Interval | None]:
    guard = _guard(a, scan, fs, event, call.line)
    guards = (guard,) if guard is not None else ()
    effects = _handler_effects(a, scan, fs, handler, guards)
    if not effects:
        return None, None
    unit = _scope(event[0])
    batch = unit == "steps"
    interval = None
    if guard is None:  # every iteration or every epoch
        interval = Interval(event[0], "1", 1.0, unit, None, scan.rel, call.line, f"{scan.rel}:{call.line} {event[2]}",
                            f"a handler on {event[0]} runs at every {'iteration' if batch else 'epoch'}")
    return LoopCall(call, depth=2 if batch else 1, batch_loop=batch, effects=effects), interval


def _handler_effects(a: _Analysis, scan: FileScan, fs: FunctionScan, handler: object,
                     guards: tuple[Guard, ...]) -> tuple[Effect, ...]:
    quals: list[str] = []
    if not isinstance(handler, ast.AST):  # a decorated function
        quals = [f"{scan.rel}::{handler.qualname}"]
    elif isinstance(handler, ast.Name) and handler.id in fs.nested:
        quals = [f"{scan.rel}::{fs.nested[handler.id]}"]
    elif isinstance(handler, (ast.Name, ast.Attribute)):
        name = handler.id if isinstance(handler, ast.Name) else handler.attr
        quals = [q for q in a.by_name.get(name, []) if q.startswith(f"{scan.rel}::")] or a.by_name.get(name, [])
    made = _constructor(fs, handler)
    if made is not None:
        cls_call, _node = made
        quals = [q for q in a.by_name.get("__call__", []) if q.endswith(f"::{cls_call.short}.__call__")]
        if not quals and _SAVER.search(cls_call.short):
            return (Effect(SAVE, cls_call, (f"{cls_call.short} handler",), guards),)
    out: dict[str, Effect] = {}
    for q in quals:
        for tag, eff in a.effects.get(q, {}).items():
            out.setdefault(tag, Effect(tag, eff.site, (q.split("::")[-1],) + eff.via, guards + eff.guards))
    return tuple(sorted(out.values(), key=lambda e: e.tag))


def _constructor(fs: FunctionScan, handler: object) -> tuple[Call, ast.Call] | None:
    """The call that made an object handler: the handler expression itself, or what its name was bound to."""
    node = handler if isinstance(handler, ast.Call) else None
    if isinstance(handler, ast.Name):
        bound = [v for names, v in fs.assigns if names == {handler.id}]
        node = bound[0] if len(bound) == 1 and isinstance(bound[0], ast.Call) else None
    if node is None:
        return None
    return next(((c, n) for c, n in fs.calls if n is node), None)
