"""fastai learners as code facts: their fit methods are the training loop, their callbacks the policy.

- `learn.fit_one_cycle(...)` (and `fit`, `fit_flat_cos`, `fit_sgdr`, `fine_tune`) on a learner of a
  file that imports fastai runs fastai's own epoch and batch loops.
- `SaveModelCallback(every_epoch=True)` among the callbacks (the fit's `cbs=`, a list bound to a
  name first, or the `Learner(..., cbs=...)` that made the learner) saves after every epoch,
  `every_epoch=N` every N epochs: a periodic save in epochs, with its interval. Without
  `every_epoch` it saves only when the monitored metric improves: a best-metric condition.
- `CSVLogger` writes a row an epoch, and fastai's Recorder prints one at the end of each epoch:
  logging per epoch, not per batch.

With `from fastai.vision.all import *` nothing resolves through the imports, so a callback counts
by its name in a file that imports fastai (a class of the project's own with that name does not).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor.evidence.code.facts import LOG, SAVE, Call, CodeEvidence, Effect, Guard, Interval, LoopCall
from auditor.evidence.code.fwcommon import Site, imports, keyword, keyword_line, sites
from auditor.evidence.code.syntax import short_text

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan, FunctionScan

FASTAI = ("fastai",)
_FASTAI_FITS = {"fit_one_cycle", "fit_flat_cos", "fit_sgdr", "fine_tune"}
_SAVER = "SaveModelCallback"
_EPOCH_LOGGERS = {"CSVLogger"}
VIA = ("fastai Learner",)


def add(ev: CodeEvidence, scans: list[FileScan], a: _Analysis) -> None:
    """Append the loops fastai fits run, with their callbacks' saves and logs, and the save intervals."""
    ours = [s for s in scans if imports(s, FASTAI)]
    defined = {cls for scan in scans for cls in scan.classes}
    found: list[LoopCall] = []
    intervals: list[Interval] = []
    for scan in ours:
        constructed = [c for s in sites(scan) if _makes_learner(s.call) for c in _callbacks(s, keyword(s.node, "cbs"))]
        for fit in (s for s in sites(scan) if _is_fit(s)):
            if not (fit.function.qualname in ("<module>", "<main>") or f"{scan.rel}::{fit.function.qualname}" in a.ctx):
                continue
            callbacks = [c for c in _callbacks(fit, keyword(fit.node, "cbs")) + constructed if c[0].short not in defined]
            loops, found_intervals = _policy(fit, callbacks, a)
            found += loops
            intervals += found_intervals
    ev.loop_calls = ev.loop_calls + tuple(found)
    ev.save_intervals = ev.save_intervals + tuple(intervals)


def _is_fit(s: Site) -> bool:
    if not isinstance(s.node.func, ast.Attribute):
        return False
    if s.call.short in _FASTAI_FITS:
        return True
    receiver = s.node.func.value
    return s.call.short == "fit" and isinstance(receiver, ast.Name) and "learn" in receiver.id.lower()


def _makes_learner(call: Call) -> bool:
    return call.short == "Learner" or call.short.endswith("_learner")


def _callbacks(s: Site, node: ast.AST | None) -> list[tuple[Call, ast.Call]]:
    """The callback calls in `cbs` of a fit or Learner call: a list, one call, or a name bound to either."""
    if isinstance(node, ast.Name):
        bound = [v for names, v in s.function.assigns if names == {node.id}]
        node = bound[-1] if bound else None
    if node is None:
        return []
    made = {id(sub) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
    return [(c, n) for c, n in s.function.calls if id(n) in made]


def _policy(fit: Site, callbacks: list[tuple[Call, ast.Call]], a: _Analysis) -> tuple[list[LoopCall], list[Interval]]:
    loops = [LoopCall(fit.call, depth=1, batch_loop=False,
                      effects=(Effect(LOG, fit.call, ("fastai Recorder",)),))]  # a results row each epoch
    intervals: list[Interval] = []
    for call, node in callbacks:
        if call.short in _EPOCH_LOGGERS:
            loops.append(LoopCall(fit.call, depth=1, batch_loop=False, effects=(Effect(LOG, call),)))
        elif call.short == _SAVER:
            effect, interval = _saver(fit.scan, fit.function, call, node, a)
            loops.append(LoopCall(fit.call, depth=1, batch_loop=False, effects=(effect,)))
            intervals += [interval] if interval is not None else []
    return loops, intervals


def _saver(scan: FileScan, fs: FunctionScan, call: Call, node: ast.Call, a: _Analysis) -> tuple[Effect, Interval | None]:
    every = keyword(node, "every_epoch")
    value = a.values.resolve(every, scan, fs) if every is not None else None
    if every is None or (value is not None and value.value in (False, 0, None)):
        monitor = keyword(node, "monitor")
        shown = scan.seg(monitor) if monitor is not None else "'valid_loss'"
        guard = Guard(short_text(call.text, 120), "condition", f"a best-metric test (it saves only when {shown} "
                      "improves)", call.file, call.line)
        return Effect(SAVE, call, VIA, (guard,)), None
    line = keyword_line(node, "every_epoch")
    epochs = 1.0 if value is None or value.value is True else value.number
    text = scan.seg(every)
    interval = Interval(f"{_SAVER}(every_epoch={text})", f"{epochs:g}" if epochs is not None else text, epochs,
                        "epochs", None, call.file, line, f"{call.file}:{line} {_SAVER}(every_epoch={text})",
                        "fastai's SaveModelCallback saves after every epoch (every N epochs for an integer)")
    period = Guard(f"every_epoch={text}", "period-epochs", f"every {'epoch' if epochs == 1 else f'{text} epochs'} "
                   f"({_SAVER})", call.file, line)
    return Effect(SAVE, call, VIA, (period,)), interval
