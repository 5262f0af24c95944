"""Checkpoint idioms of PyTorch Lightning and the Hugging Face `transformers.Trainer`, as code evidence.

A team that trains with a framework states its checkpoint policy in framework calls, not in
a loop of its own. This module reads those calls from the files `auditor.evidence.code.scan`
already parsed (never importing the framework or the project) and adds them to the same
structures the plain-PyTorch analysis fills, so probes and reports need no special case:

- `ModelCheckpoint(every_n_train_steps= | train_time_interval=timedelta(...) | every_n_epochs=)`
  and `TrainingArguments(save_strategy=, save_steps=)` -> an `Interval`, cited at the keyword;
- a `ModelCheckpoint` or saving `TrainingArguments` with the framework's training call
  (`trainer.fit(...)`, `trainer.train(...)`) -> a `LoopCall` whose SAVE effect is the
  configuration call, reached "via" the framework's own loop; `logging_steps=` -> a LOG effect;
- `trainer.fit(..., ckpt_path=...)` and `trainer.train(resume_from_checkpoint=...)` -> a
  `ResumeLoad` that is also the call passing the resume argument; `ckpt_path="last"` makes
  Lightning look up the newest checkpoint itself, and transformers' `get_last_checkpoint(dir)`
  finds it (None on a first start): both are auto-resume. `resume_from_checkpoint=True` finds
  it too but raises on a first start, so it is not.

A call counts only when its name resolves (through the file's imports) to the framework's
package: a `ModelCheckpoint` of one's own is not Lightning's.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from auditor.evidence.code.facts import (AUTORESUME, LOG, SAVE, Call, CodeEvidence, Effect, Interval, LoopCall,
                                         ResumeLoad)
from auditor.evidence.code.syntax import calls_in, names_in

if TYPE_CHECKING:  # the scans are read through their attributes; this module never runs the scan
    from auditor.evidence.code.scan import FileScan, FunctionScan

LIGHTNING = ("lightning", "pytorch_lightning")
TRANSFORMERS = ("transformers",)
HF_DEFAULT_SAVE_STEPS = 500  # TrainingArguments' own default when save_strategy is "steps" or unset
_TIMEDELTA_ARGS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_TIMEDELTA_SECONDS = {"days": 86400, "seconds": 1, "microseconds": 1e-6, "milliseconds": 1e-3, "minutes": 60,
                      "hours": 3600, "weeks": 604800}


@dataclass(frozen=True)
class _Site:
    """A call of the scanned code with its AST node and the file's scan."""

    call: Call
    node: ast.Call
    scan: FileScan
    function: FunctionScan  # the scope holding the call


def add_framework_evidence(ev: CodeEvidence, scans: list[FileScan]) -> None:
    """Append what Lightning / transformers calls say to `ev` (intervals, loop calls, resume)."""
    sites = [s for scan in scans if _imports(scan, LIGHTNING + TRANSFORMERS) for s in _sites(scan)]
    if not sites:
        return
    lightning = [s for s in sites if _package(s.call) in LIGHTNING]
    hf = [s for s in sites if _package(s.call) in TRANSFORMERS]
    model_checkpoints = [s for s in lightning if s.call.short == "ModelCheckpoint"]
    arguments = [s for s in hf if s.call.short.endswith("TrainingArguments")]
    fits = _training_calls(sites, LIGHTNING, "fit")
    trains = _training_calls(sites, TRANSFORMERS, "train")

    # each configuration call's intervals, read once: a call with none saves on no period
    lightning_every = [(s, _lightning_intervals(s)) for s in model_checkpoints]
    hf_every = [(s, _hf_intervals(s)) for s in arguments]
    ev.intervals = ev.intervals + tuple(i for _, found in lightning_every + hf_every for i in found)

    def reachable(call: Call) -> bool:
        return call.function in ("<module>", "<main>") or f"{call.file}::{call.function}" in ev.reachable

    loop_calls: list[LoopCall] = []
    fit = next((c for c in fits if reachable(c.call)), None)
    periodic = [s for s, found in lightning_every if found]
    if fit is not None and periodic:
        loop_calls.append(_framework_loop(fit.call, Effect(SAVE, periodic[0].call, ("Lightning Trainer",))))
    step_logs = [s for s in sites if _logs_every_step(s)]
    if fit is not None and step_logs:
        loop_calls.append(_framework_loop(fit.call, Effect(LOG, step_logs[0].call,
                                                           ("Lightning Trainer", step_logs[0].function.qualname))))
    train = next((c for c in trains if reachable(c.call)), None)
    if train is not None:
        saving = [s for s, found in hf_every if found]
        if saving:
            loop_calls.append(_framework_loop(train.call, Effect(SAVE, saving[0].call, ("transformers Trainer",))))
        logging = [s for s in arguments if _logs_batches(s.node)]
        if logging:
            loop_calls.append(_framework_loop(train.call, Effect(LOG, logging[0].call, ("transformers Trainer",))))
    ev.loop_calls = ev.loop_calls + tuple(loop_calls)

    loads: list[ResumeLoad] = []
    auto: list[Effect] = []
    for site, keyword in [(s, "ckpt_path") for s in fits] + [(s, "resume_from_checkpoint") for s in trains]:
        value = _keyword(site.node, keyword)
        if value is None or (isinstance(value, ast.Constant) and value.value in (None, False)):
            continue
        # "last" (Lightning) and True (transformers) make the framework look for the newest checkpoint
        asks_framework = isinstance(value, ast.Constant) and value.value in ("last", True)
        # transformers' get_last_checkpoint(dir): the newest checkpoint-N/, None on a first start
        finds_itself = _from_get_last_checkpoint(value, site)
        discovers = asks_framework or finds_itself
        why = ""
        if asks_framework and keyword == "resume_from_checkpoint":
            why = ("transformers' resume_from_checkpoint=True raises on a first start, when no checkpoint exists yet "
                   "(pass get_last_checkpoint(output_dir), which is None then)")
        load = ResumeLoad(site.call, from_resume=True, from_discovery=discovers, reachable=reachable(site.call),
                          why_not_at_start=why)
        loads.append(load)
        # Lightning's "last" and get_last_checkpoint start fresh when nothing is saved yet
        if discovers and load.reachable and not why:
            auto.append(Effect(AUTORESUME, site.call))
    ev.resume_loads = ev.resume_loads + tuple(loads)
    ev.resume_passed = ev.resume_passed + tuple(r.call for r in loads)
    ev.auto_resume = ev.auto_resume + tuple(auto)


# --------------------------------------------------------------------------- recognising calls


def _imports(scan: FileScan, packages: tuple[str, ...]) -> bool:
    return any(target.split(".")[0] in packages for target in scan.aliases.values())


def _sites(scan: FileScan) -> Iterable[_Site]:
    for fs in scan.scopes():
        for call, node in fs.calls:
            yield _Site(call, node, scan, fs)


def _package(call: Call) -> str:
    """The top-level package a call's resolved name starts with."""
    return call.name.split(".")[0]


def _training_calls(sites: list[_Site], packages: tuple[str, ...], method: str) -> list[_Site]:
    """`trainer.<method>(...)` where `trainer` was bound to the framework's Trainer (or `Trainer(...).<method>()`)."""
    trainers: set[str] = set()
    for s in sites:
        if s.call.short.endswith("Trainer") and _package(s.call) in packages:
            for fs in s.scan.scopes():
                for names, value in fs.assigns:
                    if value is s.node:
                        trainers |= names
    out = []
    for s in sites:
        if s.call.short != method or not isinstance(s.node.func, ast.Attribute):
            continue
        receiver = s.node.func.value
        if names_in(receiver) & trainers or (isinstance(receiver, ast.Call) and _package(s.call) in packages):
            out.append(s)
    return out


def _from_get_last_checkpoint(value: ast.AST, site: _Site) -> bool:
    """`get_last_checkpoint(...)` itself, or a name the same function bound to an expression calling it."""
    def calls_it(expr: ast.AST) -> bool:
        return any(short == "get_last_checkpoint" and name.split(".")[0] in TRANSFORMERS
                   for name, short in calls_in(expr, site.scan.aliases))

    if calls_it(value):
        return True
    names = names_in(value) if isinstance(value, ast.Name) else frozenset()
    return any(bound & names and calls_it(expr) for bound, expr in site.function.assigns)


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _keyword_line(node: ast.Call, name: str) -> int:
    return next((k.lineno for k in node.keywords if k.arg == name), node.lineno)


def _number(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _framework_loop(call: Call, effect: Effect) -> LoopCall:
    # the framework's own loop iterates batches and runs the callback / save check at every step
    return LoopCall(call, depth=1, batch_loop=True, effects=(effect,))


# --------------------------------------------------------------------------- intervals


def _interval(site: _Site, name: str, value: float | None, unit: str, reason: str) -> Interval:
    node = _keyword(site.node, name)
    text = site.scan.seg(node) if node is not None else ""
    seconds = value if unit == "time" else None
    if value is None and node is not None:
        reason = f"default is an expression ({text})"
    return Interval(name, text, value, unit, seconds, site.call.file, _keyword_line(site.node, name),
                    site.call.short, reason)


def _lightning_intervals(site: _Site) -> list[Interval]:
    node = site.node
    out = []
    for name, unit in (("every_n_train_steps", "steps"), ("train_time_interval", "time"), ("every_n_epochs", "epochs")):
        value_node = _keyword(node, name)
        if value_node is None or (isinstance(value_node, ast.Constant) and value_node.value in (None, 0)):
            continue
        value = _timedelta_seconds(value_node) if unit == "time" else _number(value_node)
        out.append(_interval(site, name, value, unit, f"Lightning ModelCheckpoint({name}=...)"))
    triggers = {"every_n_train_steps", "train_time_interval", "every_n_epochs"}
    if not triggers & {k.arg for k in node.keywords} and not any(k.arg is None for k in node.keywords):
        out.append(Interval("every_n_epochs", "", 1.0, "epochs", None, site.call.file, node.lineno, "ModelCheckpoint",
                            "no trigger given: Lightning's ModelCheckpoint saves at every epoch end"))
    return out


def _timedelta_seconds(node: ast.AST) -> float | None:
    """Seconds of `timedelta(minutes=2)` / `datetime.timedelta(0, 90)` with constant arguments."""
    if not (isinstance(node, ast.Call) and _dotted_tail(node.func) == "timedelta"):
        return None
    total = 0.0
    pairs = list(zip(_TIMEDELTA_ARGS, node.args)) + [(k.arg, k.value) for k in node.keywords]
    for name, value in pairs:
        number = _number(value)
        if name not in _TIMEDELTA_SECONDS or number is None:
            return None
        total += number * _TIMEDELTA_SECONDS[name]
    return total


def _dotted_tail(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _strategy(node: ast.Call, name: str) -> str | None:
    """`"steps"` or `IntervalStrategy.STEPS` -> "steps"; None when not given or not a literal."""
    value = _keyword(node, name)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value.lower()
    if isinstance(value, ast.Attribute):
        return value.attr.lower()
    return None


def _hf_intervals(site: _Site) -> list[Interval]:
    node = site.node
    strategy = _strategy(node, "save_strategy")
    if strategy == "epoch":
        return [_interval(site, "save_strategy", 1.0, "epochs", "transformers TrainingArguments(save_strategy='epoch')")]
    if strategy not in (None, "steps"):
        return []  # "no", or "best" (saves when the metric improves): no period
    steps = _keyword(node, "save_steps")
    if steps is None:
        if strategy is None and any(k.arg is None for k in node.keywords):
            return []  # TrainingArguments(**config): the policy is in the data, not here
        return [Interval("save_steps", str(HF_DEFAULT_SAVE_STEPS), float(HF_DEFAULT_SAVE_STEPS), "steps", None,
                         site.call.file, _keyword_line(node, "save_strategy"), site.call.short,
                         f"not given: transformers' default save_steps={HF_DEFAULT_SAVE_STEPS}")]
    value = _number(steps)
    if value is not None and value < 1:
        return [_interval(site, "save_steps", value, "unknown", "a float below 1 is a fraction of the total steps")]
    return [_interval(site, "save_steps", value, "steps", "transformers TrainingArguments(save_steps=...)")]


def _logs_every_step(site: _Site) -> bool:
    """`self.log(...)` / `self.log_dict(...)` in a LightningModule's `training_step`, where
    Lightning logs at every step unless told `on_step=False`."""
    func = site.node.func
    if site.function.name != "training_step" or not isinstance(func, ast.Attribute) \
            or func.attr not in ("log", "log_dict") or not (isinstance(func.value, ast.Name) and func.value.id == "self"):
        return False
    on_step = _keyword(site.node, "on_step")
    return not (isinstance(on_step, ast.Constant) and on_step.value is False)


def _logs_batches(node: ast.Call) -> bool:
    steps = _number(_keyword(node, "logging_steps"))
    return steps is not None and steps >= 1 and _strategy(node, "logging_strategy") in (None, "steps")
