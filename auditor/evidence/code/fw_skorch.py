"""skorch nets as code facts: the loop is skorch's `fit`, the policy is in the net's callbacks.

- A skorch net (`NeuralNet`, `NeuralNetClassifier`, `NeuralNetRegressor`, `NeuralNetBinaryClassifier`)
  made where training runs runs skorch's epoch and batch loops when fitted, with the callbacks it is
  given (`callbacks=[...]`: callbacks or `(name, callback)` pairs, a list bound to a name with what
  is inserted into or appended to it, or what a helper of the project returns).
- `Checkpoint(monitor=...)` saves at an epoch end when the history says so: its default monitor,
  `"valid_loss_best"` (any `*_best` key), is a best-metric test, another key or a callable a
  condition, and `monitor=None` saves at every epoch end.
- `LoadInitState(checkpoint)` restores what that checkpoint saved (parameters, optimizer, history)
  at the start of fit when its files exist: found by itself, so a restart resumes unless the
  callback is only added behind a test (`if args.resume:`), which is then said.
- A subclass of skorch's `Callback` runs its batch hooks (`on_batch_end`, ...) in the batch loop and
  its epoch hooks (`on_epoch_end`, ...) in the epoch loop, with their own guards.
`TrainEndCheckpoint` saves once, when fit returns: no save during training.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor.evidence.code.facts import AUTORESUME, SAVE, CodeEvidence, Effect, Guard, Interval, LoopCall, ResumeLoad
from auditor.evidence.code.fw_keras import _callbacks
from auditor.evidence.code.fwcommon import (Site, hook_loop_calls, imports, keyword, keyword_line, package, sites,
                                            subclasses_of)
from auditor.evidence.code.syntax import short_text

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

SKORCH = ("skorch",)
NETS = {"NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor", "NeuralNetBinaryClassifier"}
BATCH_HOOKS = {"on_batch_end", "on_batch_begin", "on_grad_computed"}
EPOCH_HOOKS = {"on_epoch_end", "on_epoch_begin"}
VIA = ("skorch fit",)
_TRAINING_BATCH = ("training", "not (not training)")  # `if training:` / `if not training: return`


def add(ev: CodeEvidence, scans: list[FileScan], a: _Analysis) -> None:
    """Append the loops skorch nets run with their callbacks' saves, logs and hooks, and LoadInitState's resume."""
    subclasses = subclasses_of(scans, _skorch_callback)
    for scan in (s for s in scans if imports(s, SKORCH)):
        for net in (s for s in sites(scan) if s.call.short in NETS and package(s.call) in SKORCH):
            if not (net.function.qualname in ("<module>", "<main>") or f"{scan.rel}::{net.function.qualname}" in a.ctx):
                continue
            found: list[LoopCall] = []
            for cb in _callbacks(net, keyword(net.node, "callbacks"), a):
                if cb.call.short == "Checkpoint" and package(cb.call) in SKORCH:
                    effect, interval = _checkpoint(cb, a)
                    found.append(LoopCall(net.call, depth=1, batch_loop=False, effects=(effect,)))
                    ev.save_intervals = ev.save_intervals + ((interval,) if interval is not None else ())
                elif cb.call.short == "LoadInitState" and package(cb.call) in SKORCH:
                    _load_init_state(ev, cb)
                elif cb.call.short in subclasses:
                    # skorch hands batch hooks `training` (a training batch, not a validation one): not a switch
                    found += hook_loop_calls(subclasses[cb.call.short], cb.call.short, a, BATCH_HOOKS, EPOCH_HOOKS,
                                             VIA, lambda hook, guard: hook in BATCH_HOOKS and guard in _TRAINING_BATCH)
            ev.loop_calls = ev.loop_calls + tuple(found)


def _checkpoint(cb: Site, a: _Analysis) -> tuple[Effect, Interval | None]:
    """A Checkpoint's save: at every epoch end (monitor=None), or under the history key it monitors."""
    call, node = cb.call, cb.node
    monitor = keyword(node, "monitor")
    value = a.values.resolve(monitor, cb.scan, cb.function) if monitor is not None else None
    line = keyword_line(node, "monitor") if monitor is not None else call.line
    if monitor is not None and isinstance(monitor, ast.Constant) and monitor.value is None:
        interval = Interval("monitor", "None", 1.0, "epochs", None, call.file, line,
                            f"{call.file}:{line} Checkpoint(monitor=None)",
                            "skorch's Checkpoint with monitor=None saves at every epoch end")
        guard = Guard("monitor=None", "period-epochs", "every epoch (skorch Checkpoint, monitor=None)", call.file, line)
        return Effect(SAVE, call, VIA, (guard,)), interval
    shown = cb.scan.seg(monitor) if monitor is not None else "'valid_loss_best' (the default)"
    key = value.value if value is not None and isinstance(value.value, str) else (
        "valid_loss_best" if monitor is None else None)
    what = (f"a best-metric test (it saves only when {shown} says a new best)" if key and key.endswith("_best")
            else f"a condition (it saves only when {shown} holds)")
    return Effect(SAVE, call, VIA, (Guard(short_text(call.text, 120), "condition", what, call.file, line),)), None


def _load_init_state(ev: CodeEvidence, cb: Site) -> None:
    """LoadInitState restores its checkpoint's files, when they exist, at the start of every fit."""
    call = cb.call
    tests = [g.test for g in cb.function.call_guards.get(id(cb.node), ()) if not g.negated]
    behind = f"`if {cb.scan.seg(tests[-1])}` (the callback is added only then)" if tests else ""
    load = ResumeLoad(call, from_resume=bool(tests), from_discovery=True, reachable=True, restores_state=True,
                      state_detail=f"{call.file}:{call.line} skorch's LoadInitState restores the parameters, "
                                   "optimizer and history its checkpoint saved, when they exist, at the start of fit",
                      discovered_at=(call.file, call.line), behind=behind)
    ev.resume_loads = ev.resume_loads + (load,)
    if not behind:
        ev.auto_resume = ev.auto_resume + (Effect(AUTORESUME, call, VIA),)


def _skorch_callback(base: str) -> bool:
    parts = base.split(".")
    return parts[0] == "skorch" and parts[-1] == "Callback"
