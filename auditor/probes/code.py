"""Code probes: is the requirement implemented in the training code (read by AST)?

Each probe looks at `ev.code` (auditor.evidence.code.CodeEvidence). When no source file
could be read the answer is NO_EVIDENCE; when the code was read and the fact is absent, NO.
"""

from __future__ import annotations

from typing import Any

from auditor.evidence.code import (HEARTBEAT, LOG, PROGRESS, SAVE, Call, CodeEvidence, Effect, LoopCall,
                                   effect_rank)
from auditor.model import Citation, ProbeResult, Verdict, probe


def _cite(call: Call, detail: str = "") -> Citation:
    return Citation(call.file, call.line, detail=detail or call.text)


def _effect_cites(lc: LoopCall | None, eff: Effect, what: str) -> tuple[Citation, ...]:
    cites = []
    if lc is not None and lc.call is not eff.site:
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
        return f"training started by {code.entry_point}; searched all functions of {len(code.files)} files"
    if code.entry is None:
        return f"entry point {code.entry_point} not found; searched all functions of {len(code.files)} files"
    return f"code reachable from {code.entry_point}"


def _loop_effect(code: CodeEvidence, tag: str, batch_only: bool = False) -> list[tuple[LoopCall, Effect]]:
    found = []
    for lc in code.loop_calls:
        if batch_only and not lc.batch_loop:
            continue
        eff = lc.effect(tag)
        if eff is not None:
            found.append((lc, eff))
    found.sort(key=lambda item: (item[0].in_thread, effect_rank(item[1]), item[0].depth))
    return found


@probe("code.checkpoint_saved_in_loop")
def checkpoint_saved_in_loop(ev: Any) -> ProbeResult:
    """yes: a checkpoint-save call (directly or through helpers) sits inside a training loop."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = _loop_effect(code, SAVE)
    if not hits:
        return ProbeResult(Verdict.NO, f"no checkpoint save inside a loop ({_scope(code)})", _entry_cite(code),
                           measured={"files": len(code.files)})
    cites = tuple(c for lc, eff in hits[:4] for c in _effect_cites(lc, eff, "saves a checkpoint"))
    lc, eff = hits[0]
    return ProbeResult(Verdict.YES, f"the training loop saves checkpoints ({lc.call.file}:{lc.call.line} "
                                    f"{lc.call.short}())", cites, {"save_sites_in_loops": len(hits)})


@probe("code.progress_written_in_loop")
def progress_written_in_loop(ev: Any) -> ProbeResult:
    """yes: a progress file is written (directly or through helpers) inside the training loop."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = _loop_effect(code, PROGRESS)
    files = ", ".join(ev.config.progress_files)
    if not hits:
        return ProbeResult(Verdict.NO, f"no write of a progress file ({files}) inside a loop ({_scope(code)})",
                           _entry_cite(code))
    cites = tuple(c for lc, eff in hits[:4] for c in _effect_cites(lc, eff, "writes progress"))
    lc = hits[0][0]
    return ProbeResult(Verdict.YES, f"the training loop writes the progress file ({lc.call.file}:{lc.call.line})",
                       cites, {"progress_sites_in_loops": len(hits)})


@probe("code.batch_logging")
def batch_logging(ev: Any) -> ProbeResult:
    """yes: a print / logging call (directly or through helpers) sits in the per-batch loop."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    hits = _loop_effect(code, LOG, batch_only=True)
    if not hits:
        outer = _loop_effect(code, LOG)
        if outer:
            lc, eff = outer[0]
            return ProbeResult(Verdict.PARTIAL, "logging happens in a loop, but not in a per-batch (inner) loop",
                               _effect_cites(lc, eff, "logs"))
        return ProbeResult(Verdict.NO, f"no logging inside the per-batch loop ({_scope(code)})", _entry_cite(code))
    cites = tuple(c for lc, eff in hits[:3] for c in _effect_cites(lc, eff, "logs"))
    lc = hits[0][0]
    return ProbeResult(Verdict.YES, f"the per-batch loop logs ({lc.call.file}:{lc.call.line}, loop depth {lc.depth})",
                       cites, {"batch_log_sites": len(hits), "loop_depth": lc.depth})


@probe("code.heartbeat_thread")
def heartbeat_thread(ev: Any) -> ProbeResult:
    """yes: a started Thread/Timer, reachable from the entry point, whose target writes progress or a heartbeat."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    if not code.threads:
        return ProbeResult(Verdict.NO, "no thread (threading.Thread/Timer) is created in the training code",
                           _entry_cite(code))
    best = None
    for t in code.threads:
        tags = {e.tag for e in t.effects}
        good = bool(tags & {PROGRESS, HEARTBEAT})
        score = (good, t.started, t.reachable)
        if best is None or score > best[0]:
            best = (score, t)
    (good, started, reachable), t = best
    cites = [Citation(t.file, t.line, detail=f"{t.kind}(target={t.target})")]
    for e in t.effects:
        if e.tag in (PROGRESS, HEARTBEAT):
            cites.append(_cite(e.site, f"target {'writes progress' if e.tag == PROGRESS else 'beats'}: {e.site.text}"))
            break
    measured = {"threads": len(code.threads)}
    if good and started and reachable:
        return ProbeResult(Verdict.YES, f"a heartbeat thread is started ({t.file}:{t.line}, target {t.target})",
                           tuple(cites), measured)
    why = []
    if not good:
        why.append("its target writes neither progress nor a heartbeat")
    if not started:
        why.append("it is never started")
    if not reachable:
        why.append(f"it is not reachable from {code.entry_point}")
    return ProbeResult(Verdict.PARTIAL, f"a thread exists ({t.file}:{t.line}) but " + " and ".join(why),
                       tuple(cites), measured)


@probe("code.resume_wired")
def resume_wired(ev: Any) -> ProbeResult:
    """yes: a restore is called with the resume argument and the entry point / CLI passes it;
    defined but never passed -> partial; no restore from a resume argument -> no."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    loads = [r for r in code.resume_loads if r.from_resume and r.reachable]
    params = sorted(set(ev.config.resume_parameters))
    if not loads:
        other = [r for r in code.resume_loads if r.reachable]
        cites = tuple(_cite(r.call, "restore not fed by a resume argument: " + r.call.text) for r in other[:2])
        return ProbeResult(Verdict.NO, f"no checkpoint restore takes a resume argument ({', '.join(params)})",
                           cites or _entry_cite(code))
    load = loads[0]
    guard = f" under `if {load.call.guards[-1]}`" if load.call.guards else ""
    cites = [_cite(load.call, f"restores from the resume argument{guard}: {load.call.text}")]
    passed = list(code.resume_passed) + list(code.resume_options)
    if passed:
        cites += [_cite(c, "passes the resume argument: " + c.text) for c in passed[:2]]
        return ProbeResult(Verdict.YES, "the resume argument reaches the restore from the command line / entry call",
                           tuple(cites), {"restore_sites": len(loads), "passing_sites": len(passed)})
    entry_calls = [m.call for m in code.main_calls if m.target_is_entry]
    for c in entry_calls[:2]:
        cites.append(_cite(c, "entry call without a resume argument: " + c.text))
    where = f"{ev.config.main_module}" + (" (its __main__ call of the entry point)" if entry_calls else "")
    return ProbeResult(Verdict.PARTIAL, f"resume code exists ({load.call.file}:{load.call.line}) but {where} never "
                                        f"passes {' / '.join(params)}", tuple(cites),
                       {"restore_sites": len(loads), "passing_sites": 0})


@probe("code.auto_resume")
def auto_resume(ev: Any) -> ProbeResult:
    """yes: before the loop, a search for existing checkpoints feeds the restore."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    if code.auto_resume:
        eff = code.auto_resume[0]
        via = f" via {' -> '.join(eff.via)}" if eff.via else ""
        return ProbeResult(Verdict.YES, f"at start-up the newest checkpoint is looked up and restored{via}",
                           (_cite(eff.site, "restores a discovered checkpoint: " + eff.site.text),),
                           {"sites": len(code.auto_resume)})
    discovered = [r for r in code.resume_loads if r.from_discovery]
    if discovered:
        r = discovered[0]
        why = r.why_not_at_start or "not at start-up of the entry point"
        return ProbeResult(Verdict.PARTIAL, f"a discovered checkpoint is restored, but {why}", (_cite(r.call),))
    cites = tuple(_cite(m.call, "entry call: " + m.call.text) for m in code.main_calls if m.target_is_entry)[:1]
    return ProbeResult(Verdict.NO, f"nothing looks for existing checkpoints before training starts ({_scope(code)})",
                       cites or _entry_cite(code))


def _run_epoch_seconds(ev: Any) -> float | None:
    """Seconds per epoch measured in the run, when a run was given (for epoch-based intervals)."""
    try:
        run = ev.run
    except Exception:  # noqa: BLE001 - no run or an unreadable one: the code verdict does not depend on it
        return None
    return getattr(run, "epoch_seconds", None) if run is not None else None


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.1f} min"


@probe("code.checkpoint_interval")
def checkpoint_interval(ev: Any, min_s: float = 60, max_s: float = 300) -> ProbeResult:
    """yes: an interval parameter's default is a wall-clock period within [min_s, max_s];
    step/epoch based or unknown unit -> partial (with the value); a period out of bounds -> no."""
    code = ev.code
    if (missing := _no_code(code)) is not None:
        return missing
    if not code.intervals:
        names = ", ".join(ev.config.interval_parameters)
        return ProbeResult(Verdict.NO, f"no checkpoint interval parameter with a default ({names})",
                           _entry_cite(code))
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
    i = code.intervals[0]
    measured: dict[str, Any] = {"interval": i.value, "unit": i.unit}
    estimate = ""
    if i.unit == "epochs" and i.value:
        per_epoch = _run_epoch_seconds(ev)
        if per_epoch:
            measured["estimated_s"] = round(per_epoch * i.value, 1)
            estimate = f" (~{_fmt_s(per_epoch * i.value)} in the run)"
    unit = {"epochs": "epochs", "steps": "steps"}.get(i.unit, "units of unknown kind")
    return ProbeResult(
        Verdict.PARTIAL,
        f"{i.name} = {i.default} {unit}{estimate}: not a wall-clock period, so the 1-5 min bound is not guaranteed",
        (Citation(i.file, i.line, detail=f"{i.where}: {i.name}={i.default} ({i.reason})"),), measured)
