"""Code probes: is the requirement implemented in the training code (read by AST)?

Each probe looks at `ev.code` (auditor.evidence.code.CodeEvidence). When no source file
could be read the answer is NO_EVIDENCE; when the code was read and the fact is absent, NO.
"""

from __future__ import annotations

from typing import Any

from auditor.evidence.code import (HEARTBEAT, LOG, PROGRESS, SAVE, Call, CodeEvidence, Effect, Interval, LoopCall,
                                   effect_rank)
from auditor.model import Citation, ProbeResult, Verdict, probe


def _cite(call: Call, detail: str = "") -> Citation:
    return Citation(call.file, call.line, detail=detail or call.text)


def _effect_cites(lc: LoopCall | None, eff: Effect, what: str) -> tuple[Citation, ...]:
    cites = []
    if lc is not None and lc.call != eff.site:  # equal, not identical: a cached column holds copies
        cites.append(_cite(lc.call, f"in a loop (depth {lc.depth}): {lc.call.text}"))
    via = f" (via {' -> '.join(eff.via)})" if eff.via else ""
    cites.append(_cite(eff.site, f"{what}{via}: {eff.site.text}"))
    return tuple(cites)


def _no_code(code: CodeEvidence) -> ProbeResult | None:
    if code is None or not code.found:
        errors = "; ".join(getattr(code, "errors", ())[:3])
        from auditor.resolve import key_hint

        return ProbeResult(Verdict.NO_EVIDENCE, "no training source could be read"
                           + (f" ({errors})" if errors else f" (none found; {key_hint('source')})"))
    return None


def _entry_cite(code: CodeEvidence) -> tuple[Citation, ...]:
    """Where the search started, for a `no` that has no site of its own to point at."""
    if code.entry is not None:
        return (Citation(code.entry.file, code.entry.line, code.entry.end_line,
                         f"entry point {code.entry.qualname.split('::')[-1]}() and what it calls"),)
    return tuple(Citation(f, detail="scanned") for f in code.files[:3])


def _scope(code: CodeEvidence) -> str:
    if code.entry is None and ":" not in code.entry_point and code.entry_point in code.files:
        # a script, a module's __main__.py or a discovered guess: its own code, and every function
        if code.tools:
            return (f"training started by {code.entry_point}; searched all functions of {len(code.files)} files but "
                    f"{_tools(code.tools)} (standalone scripts that nothing imports)")
        return f"training started by {code.entry_point}; searched all functions of {len(code.files)} files"
    if code.entry is None:
        return f"entry point {code.entry_point} not found; searched all functions of {len(code.files)} files"
    return f"code reachable from {code.entry_point}"


def _tools(tools: tuple[str, ...]) -> str:
    return ", ".join(tools[:3]) + (f" and {len(tools) - 3} more" if len(tools) > 3 else "")


def _loop_effect(code: CodeEvidence, tag: str, batch_only: bool = False) -> list[tuple[LoopCall, Effect]]:
    found = []
    for lc in code.loop_calls:
        if batch_only and not lc.batch_loop:
            continue
        eff = lc.effect(tag)
        if eff is not None:
            found.append((lc, eff))
    entry_file = code.entry_point.partition(":")[0]
    # a hit in the file training starts from first, among equally telling ones (not a helper script's loop)
    found.sort(key=lambda item: (item[0].in_thread, effect_rank(item[1]), item[0].call.file != entry_file,
                                 item[0].depth))
    return found


def _guard_cites(eff: Effect) -> tuple[Citation, ...]:
    return tuple(Citation(g.file, g.line, detail=f"only under `if {g.text}`: {g.what}") for g in eff.blocked_by[:2])


def _period(eff: Effect, lc: LoopCall) -> str:
    """How often the call runs, as its guards say (no guard: at every iteration of its loop)."""
    periods = [g for g in eff.guards if g.kind.startswith("period")]
    if periods:
        return f", {periods[0].what}"
    if eff.via and eff.via[0].endswith("Trainer"):
        return f", by the {eff.via[0]}'s policy"
    if eff.via and eff.via[0].endswith(" fit") and not lc.batch_loop:
        return f", once an epoch ({' -> '.join(eff.via)})"
    return ", at every iteration" if not lc.call.guards else ""


def _conditional(code: CodeEvidence, hits: list[tuple[LoopCall, Effect]], what: str) -> ProbeResult:
    """Every hit is reached only under a condition that is not a period (or only at the last step)."""
    lc, eff = hits[0]
    blocking = eff.blocked_by
    if all(g.kind == "end" for _, e in hits for g in e.blocked_by):
        return ProbeResult(Verdict.NO, f"the only {what} in the loop runs at the last step (`if {blocking[0].text}`), "
                                       "not periodically", _effect_cites(lc, eff, what) + _guard_cites(eff),
                           {"conditional_sites": len(hits)})
    conditions = "; ".join(f"`if {g.text}` ({g.what})" for g in blocking[:2])
    return ProbeResult(Verdict.PARTIAL, f"the {what} in the training loop runs only under {conditions}: "
                                        "a condition, not a time or step period", _effect_cites(lc, eff, what)
                       + _guard_cites(eff), {"conditional_sites": len(hits)})


@probe("code.checkpoint_saved_in_loop")
def checkpoint_saved_in_loop(ev: Any) -> ProbeResult:
    """yes: a checkpoint save (directly or through helpers) is reached from a training loop at a period
    (every iteration, every N steps, a wall-clock period, a framework's save policy); only under a
    condition that is not a period (a best-metric test) -> partial; only at the last step -> no."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = _loop_effect(code, SAVE)
    if not hits:
        return ProbeResult(Verdict.NO, f"no checkpoint save inside a loop ({_scope(code)})", _entry_cite(code),
                           measured={"files": len(code.files)})
    periodic = [(lc, eff) for lc, eff in hits if not eff.blocked_by]
    if not periodic:
        return _conditional(code, hits, "save")
    cites = tuple(c for lc, eff in periodic[:3] for c in _effect_cites(lc, eff, "saves a checkpoint"))
    lc, eff = periodic[0]
    return ProbeResult(Verdict.YES, f"the training loop saves checkpoints ({lc.call.file}:{lc.call.line} "
                                    f"{lc.call.short}(){_period(eff, lc)})", cites, {"save_sites_in_loops": len(hits)})


@probe("code.progress_written_in_loop")
def progress_written_in_loop(ev: Any) -> ProbeResult:
    """yes: a progress file is rewritten (directly or through helpers) from the training loop at a period,
    or by a started thread; only under a condition that is not a period -> partial."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = _loop_effect(code, PROGRESS)
    threads = [t for t in code.threads if t.started and t.reachable and any(e.tag == PROGRESS for e in t.effects)]
    periodic = [(lc, eff) for lc, eff in hits if not eff.blocked_by and not lc.in_thread]
    if periodic:
        cites = tuple(c for lc, eff in periodic[:3] for c in _effect_cites(lc, eff, "writes progress"))
        lc, eff = periodic[0]
        return ProbeResult(Verdict.YES, f"the training loop rewrites the progress file ({lc.call.file}:{lc.call.line}"
                                        f"{_period(eff, lc)})", cites, {"progress_sites_in_loops": len(hits)})
    if threads:
        t = threads[0]
        eff = next(e for e in t.effects if e.tag == PROGRESS)
        cites = (Citation(eff.site.file, eff.site.line, detail=f"writes progress: {eff.site.text}"),
                 Citation(t.start_file or t.file, t.start_line or t.line, detail=f"thread started: {t.target}"))
        started = f"{t.start_file or t.file}:{t.start_line or t.line}"
        return ProbeResult(Verdict.YES, f"a {_worker(t)} started at {started} rewrites "
                                        f"the progress file ({eff.site.file}:{eff.site.line})", cites,
                           {"progress_threads": len(threads)})
    blocked = [(lc, eff) for lc, eff in hits if not lc.in_thread]
    if blocked:
        return _conditional(code, blocked, "progress write")
    return ProbeResult(Verdict.NO, f"no progress file is rewritten from the training loop or a thread ({_scope(code)})",
                       _entry_cite(code))


@probe("code.batch_logging")
def batch_logging(ev: Any) -> ProbeResult:
    """yes: a print / logging call (directly or through helpers) sits in the per-batch loop."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = [(lc, eff) for lc, eff in _loop_effect(code, LOG, batch_only=True) if not lc.in_thread]
    if hits and all(eff.blocked_by for _, eff in hits):
        return _conditional(code, hits, "log call")
    if not hits:
        outer = [(lc, eff) for lc, eff in _loop_effect(code, LOG) if not lc.in_thread]
        if outer:
            lc, eff = outer[0]
            return ProbeResult(Verdict.PARTIAL, "logging happens in a loop, but not in a per-batch (inner) loop",
                               _effect_cites(lc, eff, "logs"))
        return ProbeResult(Verdict.NO, f"no logging inside the per-batch loop ({_scope(code)})", _entry_cite(code))
    cites = tuple(c for lc, eff in hits[:3] for c in _effect_cites(lc, eff, "logs"))
    lc = hits[0][0]
    return ProbeResult(Verdict.YES, f"the per-batch loop logs ({lc.call.file}:{lc.call.line}, loop depth {lc.depth})",
                       cites, {"batch_log_sites": len(hits), "loop_depth": lc.depth})


def _worker(t: Any) -> str:
    return "process" if t.kind == "Process" else "thread"


def _beats(t: Any) -> Effect | None:
    """The effect by which a thread's target signals liveness: a heartbeat or progress write (or log line)."""
    return next((e for e in t.effects if e.tag in (HEARTBEAT, PROGRESS)), None)


@probe("code.heartbeat_thread")
def heartbeat_thread(ev: Any) -> ProbeResult:
    """yes: a Thread/Timer (or Thread subclass), started during training, whose target refreshes a
    liveness signal (a heartbeat or the progress file); a liveness write only from the training loop
    itself -> partial; a heartbeat thread that is never started, or none -> no."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    beating = [t for t in code.threads if _beats(t) is not None]
    live = [t for t in beating if t.started and t.reachable and t.repeats]
    measured = {"threads": len(code.threads)}
    if live:
        t = live[0]
        eff = _beats(t)
        cites = (Citation(t.start_file, t.start_line, detail=f"started: {t.target}"),
                 Citation(t.file, t.line, detail=f"{t.kind}(target={t.target})"),
                 _cite(eff.site, f"target {'writes progress' if eff.tag == PROGRESS else 'beats'}: {eff.site.text}"))
        return ProbeResult(Verdict.YES, f"a heartbeat {_worker(t)} is started ({t.start_file}:{t.start_line}, target "
                                        f"{t.target})", cites, measured)
    in_loop = [(lc, eff) for lc, eff in _loop_effect(code, HEARTBEAT) if not lc.in_thread]
    if in_loop:
        lc, eff = in_loop[0]
        return ProbeResult(Verdict.PARTIAL, "the liveness signal is written only from the training loop itself "
                                            "(it stalls when the loop does)", _effect_cites(lc, eff, "beats"), measured)
    once = [t for t in beating if t.started and t.reachable]
    if once:
        t = once[0]
        return ProbeResult(Verdict.NO, f"a {_worker(t)} started at {t.start_file}:{t.start_line} writes the liveness "
                                       f"signal once (target {t.target}, no loop): nothing refreshes it",
                           (Citation(t.file, t.line, detail=f"{t.kind}(target={t.target}), writes once"),), measured)
    if beating:
        t = beating[0]
        why = "it is never started" if not t.started else f"it is not reachable from {code.entry_point}"
        return ProbeResult(Verdict.NO, f"a heartbeat thread is defined ({t.file}:{t.line}) but {why}",
                           (Citation(t.file, t.line, detail=f"{t.kind}(target={t.target}), never started"),), measured)
    if code.threads:
        t = code.threads[0]
        return ProbeResult(Verdict.NO, f"no thread refreshes a liveness signal (the thread at {t.file}:{t.line} writes "
                                       "neither a heartbeat nor progress)",
                           (Citation(t.file, t.line, detail=f"{t.kind}(target={t.target})"),), measured)
    return ProbeResult(Verdict.NO, "no thread or process (threading.Thread/Timer, multiprocessing.Process) is created "
                                   "in the training code",
                       _entry_cite(code), measured)


@probe("code.resume_wired")
def resume_wired(ev: Any) -> ProbeResult:
    """yes: training state (not only the weights) is restored from a path or setting the user can give
    (an option, a setting, a config field, the public method's parameter) or that the code finds
    itself; a restore nothing passes a value to, or one that loads the weights only -> partial."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    loads = [r for r in code.resume_loads if r.reachable and (r.from_resume or r.from_discovery or r.user_source)]
    params = sorted(set(ev.config.resume_parameters))
    if not loads:
        other = [r for r in code.resume_loads if r.reachable]
        cites = tuple(_cite(r.call, "restore not fed by a resume argument: " + r.call.text) for r in other[:2])
        return ProbeResult(Verdict.NO, f"no checkpoint restore takes a resume argument ({', '.join(params)}) or "
                                       "a discovered checkpoint", cites or _entry_cite(code))
    full = [r for r in loads if r.restores_state is not False]
    if not full:
        r = loads[0]
        return ProbeResult(Verdict.PARTIAL, f"the restore at {r.call.file}:{r.call.line} {r.state_detail}",
                           (_cite(r.call, "restores: " + r.call.text),), {"restore_sites": len(loads)})
    full.sort(key=lambda r: (r.restores_state is not True, not r.direct))
    load = full[0]
    guard = f" under `if {load.call.guards[-1]}`" if load.call.guards else ""
    cites = [_cite(load.call, f"restores from {load.user_source or 'a discovered checkpoint'}{guard}: "
                              f"{load.call.text}")]
    if load.state_detail:
        cites.append(Citation(*_file_line(load.state_detail), detail=load.state_detail))
    passed = list(code.resume_passed) + list(code.resume_options)
    entry_calls = [m.call for m in code.main_calls if m.target_is_entry]
    measured = {"restore_sites": len(loads), "passing_sites": len(passed)}
    if passed or load.from_discovery or _user_given(ev, load):
        cites += [_cite(c, "passes the resume argument: " + c.text) for c in passed[:2]]
        how = "a discovered checkpoint" if load.from_discovery and not load.user_source else (
            load.user_source or "a path the user gives")
        return ProbeResult(Verdict.YES, f"training state is restored from {how} ({load.call.file}:{load.call.line})",
                           tuple(cites), measured)
    if not entry_calls and not code.called_elsewhere(load.call.function):
        return ProbeResult(Verdict.YES, f"the public {load.call.function.split('.')[-1]}() restores training state "
                                        f"from its caller's {load.user_source or 'path'} ({load.call.file}:"
                                        f"{load.call.line})", tuple(cites), measured)
    for c in entry_calls[:2]:
        cites.append(_cite(c, "entry call without a resume argument: " + c.text))
    where = f"{ev.config.main_module}" + (" (its __main__ call of the entry point)" if entry_calls else "")
    return ProbeResult(Verdict.PARTIAL, f"resume code exists ({load.call.file}:{load.call.line}) but {where} never "
                                        f"passes {' / '.join(params)}", tuple(cites), measured)


def _file_line(detail: str) -> tuple[str, int | None]:
    where = detail.split(" ", 1)[0]
    file, _, line = where.rpartition(":")
    return (file, int(line)) if line.isdigit() else (where, None)


def _user_given(ev: Any, load: Any) -> bool:
    """The restored path comes from an option, a setting or a config field (not only a parameter)."""
    code = ev.code
    names = {n.strip() for n in load.user_source.split(",") if n.strip()}
    params = {p.name for f in code.functions.values() if f.qualname.endswith("::" + load.call.function)
              for p in f.params}
    return bool(names - params)


@probe("code.auto_resume")
def auto_resume(ev: Any) -> ProbeResult:
    """yes: at start-up, with no option given, something finds the newest checkpoint and it is restored;
    only behind an option that is off by default, or in a form that fails on a first start -> partial."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    found = [r for r in code.resume_loads if r.reachable and r.from_discovery and r.call.loop_depth == 0]
    by_default = [r for r in found if not r.behind and not r.why_not_at_start]
    if by_default or (code.auto_resume and not found):
        if by_default:
            r = by_default[0]
            cites = ([Citation(r.discovered_at[0], r.discovered_at[1], detail="finds the newest checkpoint")]
                     if r.discovered_at[0] else []) + [_cite(r.call, "restores it: " + r.call.text)]
            if r.enabled_by[0]:
                cites.append(Citation(r.enabled_by[0], r.enabled_by[1], detail=f"runs behind {r.enabled_by[2]}"))
            return ProbeResult(Verdict.YES, "at start-up the newest checkpoint is looked up"
                                            + (f" ({r.discovered_at[0]}:{r.discovered_at[1]})" if r.discovered_at[0]
                                               else "") + f" and restored ({r.call.file}:{r.call.line})",
                               tuple(cites), {"sites": len(by_default)})
        eff = code.auto_resume[0]
        via = f" via {' -> '.join(eff.via)}" if eff.via else ""
        return ProbeResult(Verdict.YES, f"at start-up the newest checkpoint is looked up and restored{via}",
                           (_cite(eff.site, "restores a discovered checkpoint: " + eff.site.text),),
                           {"sites": len(code.auto_resume)})
    if found:
        r = found[0]
        why = f"only behind {r.behind}" if r.behind else r.why_not_at_start
        cites = ([Citation(r.discovered_at[0], r.discovered_at[1], detail=f"finds the newest checkpoint, {why}")]
                 if r.discovered_at[0] else []) + [_cite(r.call)]
        return ProbeResult(Verdict.PARTIAL, f"a discovered checkpoint is restored, but {why}", tuple(cites))
    cites = tuple(_cite(m.call, "entry call: " + m.call.text) for m in code.main_calls if m.target_is_entry)[:1]
    explicit = [r for r in code.resume_loads if r.reachable and r.from_resume]
    cites = cites or tuple(_cite(r.call, "restores only an explicit path: " + r.call.text) for r in explicit[:1])
    return ProbeResult(Verdict.NO, f"nothing looks for existing checkpoints before training starts ({_scope(code)})",
                       cites or _entry_cite(code))


def _run_rate(ev: Any, unit: str) -> tuple[float | None, str]:
    """Seconds per step or epoch measured in the run, when one was given or found (for step/epoch intervals)."""
    try:
        run = ev.run
    except Exception:  # noqa: BLE001 - no run or an unreadable one: the code verdict does not depend on it
        return None, ""
    if run is None or not getattr(run, "found", False):
        return None, ""
    if unit == "epochs":
        return getattr(run, "epoch_seconds", None), "epoch"
    return getattr(run, "step_seconds", None), "step"


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _interval_cites(i: Interval) -> tuple[Citation, ...]:
    cites = [Citation(i.file, i.line, detail=f"{i.name} = {i.default} ({i.reason})")]
    where = i.where.split(" ", 1)[0]
    file, _, line = where.rpartition(":")
    if line.isdigit() and (file, int(line)) != (i.file, i.line):
        cites.append(Citation(file, int(line), detail=f"the period is tested here: {i.where}"))
    return tuple(cites)


def _judge_interval(ev: Any, i: Interval, min_s: float, max_s: float) -> ProbeResult:
    measured: dict[str, Any] = {"interval": i.value, "unit": i.unit}
    if i.unit == "time" and i.seconds is not None:
        measured.update(interval_s=i.seconds, min_s=min_s, max_s=max_s)
        if min_s <= i.seconds <= max_s:
            return ProbeResult(Verdict.YES, f"{i.name} = {i.default} ({_fmt_s(i.seconds)} of wall-clock time, within "
                                            f"{min_s:g}-{max_s:g}s)", _interval_cites(i), measured)
        return ProbeResult(Verdict.NO, f"{i.name} = {i.default} ({_fmt_s(i.seconds)}) is outside {min_s:g}-{max_s:g}s",
                           _interval_cites(i), measured)
    estimate = ""
    rate, per = _run_rate(ev, i.unit)
    if rate and i.value:
        measured["estimated_s"] = round(rate * i.value, 3)
        estimate = f" (~{_fmt_s(rate * i.value)} in the run, at {rate:.3g}s {'an' if per == 'epoch' else 'a'} {per})"
    unit = {"epochs": "epochs", "steps": "steps"}.get(i.unit, "units of unknown kind")
    shown = f"{i.default} {unit}" if i.value is not None else f"a period in {unit} whose value could not be followed"
    return ProbeResult(Verdict.PARTIAL, f"{i.name} = {shown}{estimate}: not a wall-clock period, so the 1-5 min "
                                        "bound is not guaranteed", _interval_cites(i), measured)


@probe("code.checkpoint_interval")
def checkpoint_interval(ev: Any, min_s: float = 60, max_s: float = 300) -> ProbeResult:
    """yes: the period periodic saves are reached at is wall-clock time within [min_s, max_s];
    in steps or epochs (or an unknown unit) -> partial, with the value and, given a run, its
    measured duration; a wall-clock period out of bounds, or no periodic save at all -> no."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    governing = sorted(code.save_intervals, key=lambda i: (i.unit != "time" or i.seconds is None, i.value is None))
    if governing:
        return _judge_interval(ev, governing[0], min_s, max_s)
    periodic = [(lc, eff) for lc, eff in _loop_effect(code, SAVE) if not eff.blocked_by]
    if not periodic:
        names = [i for i in code.intervals]
        cites = tuple(Citation(i.file, i.line, detail=f"{i.name} = {i.default} is declared but no save runs on it")
                      for i in names[:2]) or _entry_cite(code)
        measured = {"interval_s": names[0].seconds, "min_s": min_s, "max_s": max_s} if names and names[0].seconds \
            else {}
        return ProbeResult(Verdict.NO, "there is no periodic save, so no checkpoint interval"
                           + (f" ({names[0].name} = {names[0].default} at {names[0].file}:{names[0].line} is never "
                              "used as a period)" if names else ""), cites, measured)
    if code.intervals:
        return _fallback_interval(ev, code, min_s, max_s)
    lc, eff = periodic[0]
    return ProbeResult(Verdict.PARTIAL, f"the checkpoint is saved at every iteration of its loop "
                                        f"({lc.call.file}:{lc.call.line}): a step period, not wall-clock time",
                       _effect_cites(lc, eff, "saves a checkpoint"), {"unit": "steps", "interval": 1})


def _fallback_interval(ev: Any, code: CodeEvidence, min_s: float, max_s: float) -> ProbeResult:
    """The save's period is computed where this reading cannot follow: an interval declared by name."""
    timed = [i for i in code.intervals if i.unit == "time" and i.seconds is not None]
    inside = [i for i in timed if min_s <= i.seconds <= max_s]
    if inside:
        i = inside[0]
        return ProbeResult(Verdict.YES, f"{i.name} = {i.default} ({_fmt_s(i.seconds)}, within {min_s:g}-{max_s:g}s)",
                           (Citation(i.file, i.line, detail=f"{i.where}: {i.name}={i.default} ({i.reason})"),),
                           {"interval_s": i.seconds, "min_s": min_s, "max_s": max_s})
    if timed:
        i = timed[0]
        return ProbeResult(Verdict.NO, f"{i.name} = {i.default} ({_fmt_s(i.seconds)}) is outside "
                                       f"{min_s:g}-{max_s:g}s",
                           (Citation(i.file, i.line, detail=f"{i.where}: {i.name}={i.default} ({i.reason})"),),
                           {"interval_s": i.seconds, "min_s": min_s, "max_s": max_s})
    return _judge_interval(ev, code.intervals[0], min_s, max_s)
