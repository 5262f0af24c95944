"""Keras `model.fit(..., callbacks=[...])` as code facts: the loop is Keras', the policy is in the callbacks.

- `model.fit(...)` in a file that imports Keras (`keras`, `tf_keras`, `tensorflow.keras`) runs Keras'
  epoch and batch loops, when it is given `callbacks=` or `epochs=` (a scikit-learn `fit(X, y)` takes
  neither). It reports as it goes: `verbose=2` prints a line an epoch, `verbose=0` nothing, and the
  default progress bar (`1`, `"auto"`) a line with the running loss as batches complete.
- `ModelCheckpoint(save_freq=N)` saves every N batches, `save_freq="epoch"` (the default) every epoch,
  the old `period=N` every N epochs; `save_best_only=True` saves only when the monitored value improves.
- `BackupAndRestore(backup_dir, save_freq=...)` backs the training state up at the same kind of period
  and, at the start of every fit, restores weights, optimizer and epoch from the backup when there is
  one: a resume nobody has to ask for (a first start finds none and begins at epoch 1).
- `CSVLogger` writes a row an epoch; `TensorBoard(update_freq=N | "batch")` writes scalars every N
  batches, at its default once an epoch.
- `model.load_weights(path)` loads the model's weights (not the optimizer's, nor the epoch); with
  `tf.train.latest_checkpoint(dir)` as its path, the newest checkpoint found at start-up.
- A subclass of Keras' `Callback` given to fit runs its batch hooks (`on_train_batch_end`, ...) in the
  batch loop and its epoch hooks (`on_epoch_end`, ...) in the epoch loop, with their own guards.

The callbacks are those of the fit's `callbacks=`: a list, a name bound to one (with what is appended
to it), or one callback. A callback counts only when its name resolves to Keras: a `ModelCheckpoint`
of one's own is not Keras', nor is MindSpore's `BackupAndRestore`, whose integer `save_freq` counts epochs.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor.evidence.code.facts import (AUTORESUME, LOAD, LOG, SAVE, Call, CodeEvidence, Effect, Guard, Interval,
                                         LoopCall, ResumeLoad)
from auditor.evidence.code.fwcommon import Site, hook_loop_calls, keyword, keyword_line, sites, subclasses_of
from auditor.evidence.code.syntax import short_text

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

KERAS = ("keras", "tf_keras", "tensorflow")
BATCH_HOOKS = {"on_train_batch_end", "on_train_batch_begin", "on_batch_end", "on_batch_begin"}
EPOCH_HOOKS = {"on_epoch_end", "on_epoch_begin"}
VIA = ("Keras fit",)
_SAVERS = {"ModelCheckpoint", "BackupAndRestore"}


def site_tags(scan: FileScan) -> dict[int, set[str]]:
    """`model.load_weights(path)` in a file that uses Keras loads a checkpoint (the model's weights)."""
    if not _uses_keras(scan):
        return {}
    return {id(s.node): {LOAD} for s in sites(scan)
            if s.call.short == "load_weights" and isinstance(s.node.func, ast.Attribute)}


def is_keras(call: Call) -> bool:
    parts = call.name.split(".")
    return parts[0] in ("keras", "tf_keras") or (parts[0] == "tensorflow" and "keras" in parts)


def add(ev: CodeEvidence, scans: list[FileScan], a: _Analysis) -> None:
    """Append the loops Keras fits run, with their callbacks' saves, logs and hooks, their save intervals and
    BackupAndRestore's resume."""
    subclasses = subclasses_of(scans, _keras_callback_base)
    own = {cls for scan in scans for cls in scan.classes}
    for scan in (s for s in scans if _uses_keras(s)):
        for fit in (s for s in sites(scan) if _is_fit(s, own)):
            if not (fit.function.qualname in ("<module>", "<main>") or f"{scan.rel}::{fit.function.qualname}" in a.ctx):
                continue
            # the model's own checkpoints are cited before the backup BackupAndRestore deletes when fit ends
            callbacks = sorted(_callbacks(fit, keyword(fit.node, "callbacks"), a),
                               key=lambda c: c.call.short == "BackupAndRestore")
            found = _progress_bar(fit, a)
            intervals: list[Interval] = []
            for cb in callbacks:
                if is_keras(cb.call):
                    loops, interval = _library_callback(fit, cb, a)
                    found += loops
                    intervals += [interval] if interval is not None else []
                    if cb.call.short == "BackupAndRestore":
                        _backup_resume(ev, cb)
                elif cb.call.short in subclasses:
                    found += hook_loop_calls(subclasses[cb.call.short], cb.call.short, a, BATCH_HOOKS, EPOCH_HOOKS, VIA)
            ev.loop_calls = ev.loop_calls + tuple(found)
            ev.save_intervals = ev.save_intervals + tuple(intervals)


def _uses_keras(scan: FileScan) -> bool:
    """The file imports Keras (`keras`, `tf_keras`, `from tensorflow import keras`) or calls `tf.keras.*`;
    TensorFlow used for its data pipeline alone trains with no Keras fit. Either way the file's source
    holds the word (an import names the module; a call is resolved through the file's own imports)."""
    if "keras" not in scan.text:
        return False
    return any(t.split(".")[0] in ("keras", "tf_keras") or "keras" in t.split(".") for t in scan.aliases.values()) \
        or any(is_keras(s.call) for s in sites(scan))


def _is_fit(s: Site, own: set[str]) -> bool:
    """`model.fit(...)` given callbacks or epochs (Keras' fit takes them, scikit-learn's does not), on anything
    but an instance of one of the project's own classes (a trainer of its own with a `fit` method)."""
    if s.call.short != "fit" or not isinstance(s.node.func, ast.Attribute) or not any(
            k.arg in ("callbacks", "epochs") for k in s.node.keywords):
        return False
    receiver = s.node.func.value
    if isinstance(receiver, ast.Call):
        return receiver not in {n for c, n in s.function.calls if c.short in own}
    made = {id(n) for c, n in s.function.calls if c.short in own}
    return not (isinstance(receiver, ast.Name) and any(
        names == {receiver.id} and id(value) in made for names, value in s.function.assigns))


def _callbacks(s: Site, node: ast.AST | None, a: _Analysis, depth: int = 0) -> list[Site]:
    """The calls making the fit's callbacks: in the list (or the one callback) given, the list a name was bound
    to and what is appended to that name in the same function, and what a helper of the project that builds
    the list returns (`callbacks=make_callbacks(args)`)."""
    exprs: list[ast.AST] = []
    if isinstance(node, ast.Name):
        exprs += [v for names, v in s.function.assigns if names == {node.id}]
        exprs += [arg for c, n in s.function.calls if c.short in ("append", "extend", "insert")
                  and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                  and n.func.value.id == node.id for arg in n.args]
    elif node is not None:
        exprs.append(node)
    made: set[int] = set()
    for expr in exprs:
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call):
                made.add(id(sub))
            elif isinstance(sub, ast.Name):  # a callback made first and bound to a name
                made |= {id(v) for names, v in s.function.assigns if names == {sub.id} and isinstance(v, ast.Call)}
    out = [Site(c, n, s.scan, s.function) for c, n in s.function.calls if id(n) in made]
    return out + [cb for site in out if depth < 2 for cb in _built_by(site, a, depth)]


def _built_by(site: Site, a: _Analysis, depth: int) -> list[Site]:
    """The callbacks a function of the project returns, when the fit is given what it returns."""
    quals = [q for q in a.by_name.get(site.call.short, []) if q in a.fscans and not is_keras(site.call)]
    if len(quals) != 1:
        return []
    scan, fs = a.fscans[quals[0]]
    helper = Site(site.call, site.node, scan, fs)
    return [cb for returned in fs.returns for cb in _callbacks(helper, returned, a, depth + 1)]


def _progress_bar(fit: Site, a: _Analysis) -> list[LoopCall]:
    """What fit prints itself: nothing at verbose=0, a line an epoch at 2, the progress bar's lines as batches
    complete at 1 or "auto" (the default); an unknown value is taken for the least (a line an epoch)."""
    node = keyword(fit.node, "verbose")
    value = a.values.resolve(node, fit.scan, fit.function).value if node is not None else "auto"
    if node is not None and value is None:
        value = 2
    if value in (0, False, "0"):
        return []
    per_batch = value in (1, True, "auto", "1")
    effect = Effect(LOG, fit.call, ("Keras progress bar",) if per_batch else ("Keras fit, a line an epoch",))
    return [LoopCall(fit.call, depth=2 if per_batch else 1, batch_loop=per_batch, effects=(effect,))]


def _library_callback(fit: Site, cb: Site, a: _Analysis) -> tuple[list[LoopCall], Interval | None]:
    call, node = cb.call, cb.node
    if call.short in _SAVERS:
        effect, interval = _saver(cb, a)
        batch = interval is not None and interval.unit == "steps"
        return [LoopCall(fit.call, depth=2 if batch else 1, batch_loop=batch, effects=(effect,))], interval
    if call.short == "CSVLogger":
        return [LoopCall(fit.call, depth=1, batch_loop=False, effects=(Effect(LOG, call, VIA),))], None
    if call.short == "TensorBoard":
        freq = keyword(node, "update_freq")
        value = a.values.resolve(freq, cb.scan, cb.function) if freq is not None else None
        batch = value is not None and (value.value == "batch" or (value.number or 0) >= 1)
        return [LoopCall(fit.call, depth=2 if batch else 1, batch_loop=batch, effects=(Effect(LOG, call, VIA),))], None
    return [], None


def _saver(cb: Site, a: _Analysis) -> tuple[Effect, Interval | None]:
    """A ModelCheckpoint's (or a backup's) save: its period and interval, or the best-metric condition it
    saves under."""
    call, node = cb.call, cb.node  # values are read in the scope that makes the callback
    best = keyword(node, "save_best_only")
    best_value = a.values.resolve(best, cb.scan, cb.function) if best is not None else None
    if best_value is not None and best_value.value not in (False, 0, None):
        monitor = keyword(node, "monitor")
        shown = cb.scan.seg(monitor) if monitor is not None else "'val_loss'"
        guard = Guard(short_text(call.text, 120), "condition", f"a best-metric test (it saves only when {shown} "
                      "improves)", call.file, call.line)
        return Effect(SAVE, call, VIA, (guard,)), None
    name = "save_freq" if keyword(node, "save_freq") is not None or keyword(node, "period") is None else "period"
    given = keyword(node, name)
    value = a.values.resolve(given, cb.scan, cb.function) if given is not None else None
    line = keyword_line(node, name)
    where = f"{call.file}:{line} {call.short}({name}=...)"
    text = cb.scan.seg(given) if given is not None else '"epoch"'
    if given is None or (value is not None and value.value == "epoch"):
        interval = Interval(name, "1", 1.0, "epochs", None, call.file, line, where,
                            f"Keras' {call.short} saves at every epoch end (save_freq=\"epoch\", the default)")
        return Effect(SAVE, call, VIA, (Guard(text, "period-epochs", f"every epoch ({call.short})", call.file,
                                              line),)), interval
    unit = "epochs" if name == "period" else "steps"
    what = "epochs" if unit == "epochs" else "batches"
    if value is None or value.number is None:
        interval = Interval(name, text, None, "unknown", None, call.file, line, where,
                            f"Keras' {call.short}({name}=...) counts {what} or is \"epoch\"; its value could not be "
                            "followed")
        return Effect(SAVE, call, VIA, (Guard(text, "period", f"every {text} ({call.short})", call.file, line),)), \
            interval
    declared = value.number / (value.factor or 1)
    interval = Interval(name, f"{declared:g}", value.number, unit, None, value.file, value.line, where,
                        f"Keras' {call.short} saves every N {what}"
                        + (f"; {value.name} = {declared:g} ({value.how})" if value.name else ""))
    guard = Guard(text, f"period-{unit}", f"every {value.number:g} {what} ({call.short})", call.file, line,
                  (given, value))
    return Effect(SAVE, call, VIA, (guard,)), interval


def _backup_resume(ev: CodeEvidence, cb: Site) -> None:
    """BackupAndRestore restores the newest backup of its folder at the start of every fit, by itself."""
    call, node = cb.call, cb.node
    folder = keyword(node, "backup_dir") or (node.args[0] if node.args else None)
    shown = cb.scan.seg(folder) if folder is not None else "its backup_dir"
    load = ResumeLoad(call, from_resume=False, from_discovery=True, reachable=True, restores_state=True,
                      state_detail=f"{call.file}:{call.line} Keras' BackupAndRestore restores weights, optimizer and "
                                   f"epoch from the backup in {shown} when one exists, at the start of every fit",
                      discovered_at=(call.file, call.line))
    ev.resume_loads = ev.resume_loads + (load,)
    ev.auto_resume = ev.auto_resume + (Effect(AUTORESUME, call, VIA),)


def _keras_callback_base(base: str) -> bool:
    parts = base.split(".")
    return parts[-1] == "Callback" and (parts[0] in ("keras", "tf_keras") or (parts[0] == "tensorflow"
                                                                              and "keras" in parts))
