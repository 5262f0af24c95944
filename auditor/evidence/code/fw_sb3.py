"""stable-baselines3 as code facts: `model.learn(callback=...)` runs SB3's loop; the policy is in the callbacks.

- `model.learn(...)` in a file that imports stable_baselines3 runs SB3's collect-and-update loop,
  with the callbacks it is given (`callback=`: one, a list, a name bound to one, or a
  `CallbackList([...])`).
- `CheckpointCallback(save_freq=N)` saves every N calls of the callback: environment steps of each
  of the vectorised environments, a step interval.
- `EvalCallback(best_model_save_path=...)` saves the model only when an evaluation beats the best
  so far: a best-metric test (without the path it saves nothing).
- A subclass of SB3's `BaseCallback` runs `_on_step` at every environment step (the per-batch
  loop here) and `_on_rollout_end` once a rollout (the loop around it).
- SB3's logger writes its table (and progress.csv) every `log_interval` iterations of the loop
  when one is set up: `model.set_logger(configure(folder, [...]))`, or `verbose=1` on the model.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor.evidence.code.facts import LOG, SAVE, CodeEvidence, Effect, Guard, Interval, LoopCall
from auditor.evidence.code.fw_keras import _callbacks
from auditor.evidence.code.fwcommon import (Site, hook_loop_calls, imports, keyword, keyword_line, package, sites,
                                            subclasses_of)
from auditor.evidence.code.syntax import short_text

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

SB3 = ("stable_baselines3", "sb3_contrib")
STEP_HOOKS = {"_on_step"}
ROLLOUT_HOOKS = {"_on_rollout_end", "_on_rollout_start"}
VIA = ("SB3 learn",)


def add(ev: CodeEvidence, scans: list[FileScan], a: _Analysis) -> None:
    """Append the loops SB3's learn runs: its callbacks' saves and hooks, and its logger's table."""
    subclasses = subclasses_of(scans, _sb3_callback)
    for scan in (s for s in scans if imports(s, SB3)):
        logged = _logger_set_up(scan)
        for learn in (s for s in sites(scan) if s.call.short == "learn" and isinstance(s.node.func, ast.Attribute)):
            if not (learn.function.qualname in ("<module>", "<main>")
                    or f"{scan.rel}::{learn.function.qualname}" in a.ctx):
                continue
            found: list[LoopCall] = []
            if logged:
                found.append(LoopCall(learn.call, depth=2, batch_loop=True,
                                      effects=(Effect(LOG, learn.call, ("SB3 logger, every log_interval iterations",)),)))
            for cb in _callbacks(learn, keyword(learn.node, "callback"), a):
                if package(cb.call) in SB3 and cb.call.short == "CheckpointCallback":
                    effect, interval = _checkpoints(cb, a)
                    found.append(LoopCall(learn.call, depth=2, batch_loop=True, effects=(effect,)))
                    ev.save_intervals = ev.save_intervals + ((interval,) if interval is not None else ())
                elif package(cb.call) in SB3 and cb.call.short == "EvalCallback" and \
                        keyword(cb.node, "best_model_save_path") is not None:
                    guard = Guard(short_text(cb.call.text, 120), "condition",
                                  "a best-metric test (EvalCallback saves only a new best mean reward)",
                                  cb.call.file, cb.call.line)
                    found.append(LoopCall(learn.call, depth=1, batch_loop=False,
                                          effects=(Effect(SAVE, cb.call, VIA, (guard,)),)))
                elif cb.call.short in subclasses:
                    found += hook_loop_calls(subclasses[cb.call.short], cb.call.short, a, STEP_HOOKS,
                                             ROLLOUT_HOOKS, VIA)
            ev.loop_calls = ev.loop_calls + tuple(found)


def _logger_set_up(scan: FileScan) -> bool:
    """SB3's logger writes somewhere: `set_logger(configure(...))`, or a model made with verbose=1 or more."""
    for s in sites(scan):
        if s.call.short in ("set_logger", "configure") and package(s.call) in SB3 + ("",):
            return True
        verbose = keyword(s.node, "verbose")
        if package(s.call) in SB3 and s.call.short[:1].isupper() and isinstance(verbose, ast.Constant) \
                and isinstance(verbose.value, int) and verbose.value >= 1:
            return True
    return False


def _checkpoints(cb: Site, a: _Analysis) -> tuple[Effect, Interval | None]:
    """CheckpointCallback's save: every `save_freq` calls of the callback (environment steps per env)."""
    call, node = cb.call, cb.node
    given = keyword(node, "save_freq") or (node.args[0] if node.args else None)
    value = a.values.resolve(given, cb.scan, cb.function) if given is not None else None
    line = keyword_line(node, "save_freq") if keyword(node, "save_freq") is not None else call.line
    text = cb.scan.seg(given) if given is not None else "save_freq"
    number = value.number if value is not None and value.number is not None else None
    interval = Interval("save_freq", f"{number:g}" if number is not None else text, number,
                        "steps" if number is not None else "unknown", None, call.file, line,
                        f"{call.file}:{line} CheckpointCallback(save_freq=...)",
                        "SB3's CheckpointCallback saves every save_freq calls (environment steps of each env)")
    guard = Guard(text, "period-steps", f"every {text} steps (CheckpointCallback)", call.file, line, (given, value))
    return Effect(SAVE, call, VIA, (guard,)), interval


def _sb3_callback(base: str) -> bool:
    parts = base.split(".")
    return parts[0] in SB3 and parts[-1] in ("BaseCallback", "EventCallback")
