"""Run probes: does the run directory show the requirement working?

Each looks at `ev.run` (auditor.evidence.run.RunEvidence). No run given, or an empty run
directory, is NO_EVIDENCE; a run that exists and lacks the behaviour is NO. Citations name
files relative to the run directory, with the measured value.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from auditor.evidence.code.facts import PROGRESS
from auditor.model import Citation, ProbeResult, Verdict, probe

if TYPE_CHECKING:  # the types only: an audit with no run makes no run record (seven dataclasses to build)
    from auditor.evidence.runfacts import Checkpoint, EventRef, RunEvidence


def _run(ev: Any) -> RunEvidence | None:
    run = ev.run
    return run if run is not None and run.found else None


def _none(ev: Any) -> ProbeResult:
    run = ev.run
    where = getattr(run, "run_dir", None)
    errors = "; ".join(getattr(run, "errors", ()) or ())
    if where is None:
        return ProbeResult(Verdict.NO_EVIDENCE, "no run directory given")
    return ProbeResult(Verdict.NO_EVIDENCE, f"nothing to read in {where}" + (f" ({errors})" if errors else ""))


def _stamp(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(t)) if t is not None else "time unknown"


def _ckpt_cite(c: Checkpoint, extra: str = "") -> Citation:
    what = ", ".join(x for x in (f"epoch {c.epoch}" if c.epoch is not None else "",
                                 f"step {c.step}" if c.step is not None else "") if x)
    when = _stamp(c.time) + ("" if c.time_source in ("manifest", "pickle") else f" ({c.time_source})")
    detail = f"{c.kind} checkpoint, {c.status}" + (f", {what}" if what else "") + f", saved {when}"
    if c.note:
        detail += f"; {c.note}"
    return Citation(c.file, detail=detail + (f"; {extra}" if extra else ""))


def _ref_cite(r: EventRef, detail: str = "") -> Citation:
    return Citation(r.file, r.line or None, detail=detail or r.detail)


def _dur(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g}s" if seconds < 120 else f"{seconds / 60:.1f} min"


@probe("run.periodic_checkpoints")
def periodic_checkpoints(ev: Any, min_count: int = 2) -> ProbeResult:
    """yes: at least min_count valid periodic checkpoints (on disk, or recorded as saved when
    retention removed older ones, with at least one valid on disk)."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    usable = run.periodic()
    bad = [c for c in run.checkpoints if c.status in ("corrupt", "unreadable", "incomplete")]
    in_progress = [c for c in run.checkpoints if c.status == "in_progress"]
    logged = _logged_backed(run)
    count = max(len(usable), run.saves_recorded) if usable else len(logged)
    cites = [_save_cite(s) for s in logged[:3]] + [_ckpt_cite(c) for c in usable[-3:]] + [_ckpt_cite(c) for c in bad[:3]]
    measured = {"periodic_valid_on_disk": len(usable), "periodic_saves_recorded": run.saves_recorded,
                "invalid": len(bad), "in_progress": len(in_progress),
                "best": any(c.kind == "best" and c.usable for c in run.checkpoints),
                "final": any(c.kind == "final" and c.usable for c in run.checkpoints)}
    extras = []
    if bad:
        extras.append(f"{len(bad)} invalid ({', '.join(sorted({c.status for c in bad}))})")
    if in_progress:
        extras.append(f"{len(in_progress)} being written")
    extra = f"; {'; '.join(extras)}" if extras else ""
    bf = ", ".join(k for k in ("best", "final") if measured[k])
    if count >= min_count and logged and not usable:
        files = ", ".join(sorted({s.target.rsplit("/", 1)[-1] for s in logged}))
        return ProbeResult(Verdict.YES, f"{count} periodic saves logged ({logged[0].where} ...), {files} overwritten "
                                        f"in place" + (f", plus {bf}" if bf else "") + extra, tuple(cites), measured)
    if count >= min_count:
        return ProbeResult(Verdict.YES, f"{count} periodic checkpoints saved ({len(usable)} valid on disk"
                                        + (f", plus {bf}" if bf else "") + f"){extra}", tuple(cites), measured)
    if count > 0:
        return ProbeResult(Verdict.PARTIAL, f"only {count} periodic checkpoint(s), fewer than {min_count}{extra}",
                           tuple(cites), measured)
    others = [c for c in run.checkpoints if c.usable]
    cites += [_ckpt_cite(c) for c in others[:2]]
    return ProbeResult(Verdict.NO, "no valid periodic checkpoint in the run" + (
        f" (only {', '.join(sorted({c.kind for c in others}))})" if others else "") + extra, tuple(cites), measured)


def _logged_backed(run: RunEvidence) -> list[Any]:
    """Periodic saves a foreign log records whose file (or folder) is in the run: one file
    overwritten at every save shows its saves only in the log."""
    on_disk = {c.file.rsplit("/", 1)[-1] for c in run.checkpoints if c.usable} | {
        part for c in run.checkpoints if c.usable for part in c.file.split("/")[:-1]}
    name = run.run_dir.name if run.run_dir is not None else ""
    out = []
    for s in run.log.saves:
        target = s.target.rstrip("/").rsplit("/", 1)[-1]
        if s.kind == "periodic" and (target in on_disk or (target == name and run.checkpoints)):
            out.append(s)
    return out


def _save_cite(s: Any) -> Citation:
    when = f", at {_stamp(s.time)}" if s.time is not None else ""
    return Citation(s.file, s.line, detail=f"{s.kind} save of {s.target}{when}")


def _at(where: str) -> Citation:
    """'train.log:56' (a log line) or a checkpoint file, as a citation."""
    file, _, line = where.rpartition(":")
    return Citation(file, int(line)) if line.isdigit() and file else Citation(where)


@probe("run.checkpoint_gaps")
def checkpoint_gaps(ev: Any, min_s: float = 60, max_s: float = 300) -> ProbeResult:
    """yes: the largest gap between periodic saves, and the delay to the first, are <= max_s and
    no gap is below min_s; gaps below min_s -> partial (more often than needed); above max_s -> no."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    g = run.gaps
    if g.count == 0:
        return ProbeResult(Verdict.NO, "no periodic save with a known time in the run",
                           tuple(_ckpt_cite(c) for c in run.checkpoints[:2]), {"saves": 0})
    measured = {"saves": g.count, "largest_gap_s": g.largest_s, "median_gap_s": g.median_s,
                "smallest_gap_s": g.smallest_s, "first_save_delay_s": g.first_delay_s, "min_s": min_s,
                "max_s": max_s}
    cites = []
    if g.largest_s is not None:
        a, b = g.largest_between
        at = _at(b or a)
        cites.append(Citation(at.source, at.line, detail=f"largest gap {g.largest_s:g}s (after {a}); median "
                                                         f"{g.median_s:g}s; from {g.source}"))
    if g.first_delay_s is not None:
        start = run.sessions[0] if run.sessions else None
        cites.append(Citation(start.file if start else "(run start)", start.line if start else None,
                              detail=f"first save {g.first_delay_s:g}s after the session started"))
    if run.restarts:
        measured["sessions"] = run.restarts + 1
    if g.largest_s is None and g.first_delay_s is None:
        return ProbeResult(Verdict.NO_EVIDENCE, f"{g.count} periodic save(s) known, none with a time ({g.source}): "
                                                "no interval can be measured",
                           tuple(cites) or tuple(_ckpt_cite(c) for c in run.checkpoints[:2]), measured)
    worst = max(x for x in (g.largest_s, g.first_delay_s) if x is not None)
    figures = f"largest gap {g.largest_s:g}s, median {g.median_s:g}s" if g.largest_s is not None else \
        "one save"
    figures += f", first save after {g.first_delay_s:g}s" if g.first_delay_s is not None else ""
    if worst > max_s:
        return ProbeResult(Verdict.NO, f"{figures}: more than {_dur(max_s)} of work at risk", tuple(cites), measured)
    below = [x for x in g.gaps_s if x < min_s]
    if below:
        measured["gaps_below_min"] = len(below)
        return ProbeResult(Verdict.PARTIAL, f"OK: gaps below the {_dur(min_s)} lower bound ({figures}): "
                                            f"saves more often than needed", tuple(cites), measured)
    if g.largest_s is None:
        return ProbeResult(Verdict.PARTIAL, f"only one periodic save ({figures}): no interval measured",
                           tuple(cites), measured)
    return ProbeResult(Verdict.YES, f"{figures}, within {_dur(min_s)}-{_dur(max_s)}", tuple(cites), measured)


@probe("run.progress_fresh")
def progress_fresh(ev: Any, max_s: float = 60) -> ProbeResult:
    """yes: a progress file exists and its measured refresh cadence is <= max_s; partial: it exists
    and its cadence is above max_s or cannot be measured (or it says running and is stale); no: none."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    p = run.progress
    if not p.exists:
        return ProbeResult(Verdict.NO, "no progress file (progress.json, PROGRESS.txt) in the run directory",
                           (Citation(str(run.run_dir), detail="searched"),))
    measured = {"cadence_s": p.cadence_s, "median_s": p.median_s, "samples": p.samples, "max_s": max_s,
                "state": p.state}
    cites = [Citation(p.file, p.line, detail=f"updated {_stamp(p.updated_time)}"
                      + (f", state {p.state}" if p.state else ""))]
    if p.state == "running" and p.updated_time is not None and time.time() - p.updated_time > 3 * max_s:
        age = time.time() - p.updated_time
        measured["age_s"] = round(age, 1)
        return ProbeResult(Verdict.PARTIAL, f"{p.file} says running but was last updated {age:.0f}s ago (stale)",
                           tuple(cites), measured)
    if p.cadence_s is None:
        return ProbeResult(Verdict.PARTIAL, f"{p.file} exists but how often it is refreshed cannot be measured",
                           tuple(cites), measured)
    cites.append(Citation(run.events_file or p.file, detail=f"refreshed at most {p.cadence_s:g}s apart "
                                                            f"(median {p.median_s:g}s) per {p.cadence_source}"))
    if p.cadence_s <= max_s:
        return ProbeResult(Verdict.YES, f"{p.file} refreshed at most every {p.cadence_s:g}s (bound {max_s:g}s)",
                           tuple(cites), measured)
    # it is there and kept current, only less often than required: the file works, its cadence does not
    return ProbeResult(Verdict.PARTIAL, f"{p.file} is refreshed, but went {p.cadence_s:g}s without a refresh "
                                        f"(bound {max_s:g}s)", tuple(cites), measured)


@probe("run.batch_logging")
def batch_logging(ev: Any) -> ProbeResult:
    """yes: a log in the run directory shows per-batch lines."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    b = run.batch_log
    if b.lines >= 2:
        return ProbeResult(Verdict.YES, f"{b.file} has {b.lines} per-batch lines",
                           (Citation(b.file, b.first_line, detail=b.example),), {"batch_lines": b.lines})
    if b.logs_read:
        cites = [Citation(b.file, b.first_line, detail=b.example)] if b.file and b.first_line else []
        cites += [Citation(f, 1, detail="read: no per-step line in it") for f in b.logs_read[:3] if f != b.file]
        return ProbeResult(Verdict.NO, f"no per-batch lines in {', '.join(b.logs_read)}"
                           + (f" ({b.example.split(':')[0]})" if b.file and not b.lines else ""), tuple(cites),
                           {"batch_lines": b.lines})
    return ProbeResult(Verdict.NO, "no log file (train.log or *.log) in the run directory",
                       (Citation(str(run.run_dir), detail="searched"),), {"batch_lines": 0})


@probe("run.heartbeat")
def heartbeat(ev: Any, max_s: float = 60) -> ProbeResult:
    """yes: heartbeat records (events or log lines) at most max_s apart."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    beats = run.heartbeats
    g = run.heartbeat_gaps
    measured = {"heartbeats": len(beats), "largest_gap_s": g.largest_s, "median_gap_s": g.median_s, "max_s": max_s}
    if not beats and (single := _progress_as_beat(ev, run)) is not None:
        return ProbeResult(Verdict.PARTIAL, f"a single heartbeat record: {single.detail}", (single,),
                           {**measured, "heartbeats": 1})
    if not beats:
        return ProbeResult(Verdict.NO, "no heartbeat records (heartbeat events or log lines) in the run",
                           (Citation(run.events_file or str(run.run_dir), detail="searched"),), measured)
    cites = (_ref_cite(beats[0]), _ref_cite(beats[-1]))
    if g.largest_s is None:
        return ProbeResult(Verdict.PARTIAL, "a single heartbeat record: no period measured", cites, measured)
    figures = f"{len(beats)} heartbeats, largest gap {g.largest_s:g}s, median {g.median_s:g}s ({g.source})"
    if g.largest_s <= max_s:
        return ProbeResult(Verdict.YES, figures, cites, measured)
    return ProbeResult(Verdict.NO, f"{figures}: above {max_s:g}s", cites, measured)


def _progress_as_beat(ev: Any, run: RunEvidence) -> Citation | None:
    """The progress file's last update time, when the code's started heartbeat thread is what rewrites
    it: the one record the run keeps of the heartbeat (a file rewritten in place keeps no series)."""
    p = run.progress
    if not p.exists or p.updated_time is None:
        return None
    try:
        threads = ev.code.threads
    except Exception:  # noqa: BLE001 - unreadable code: the run alone decides, and it holds no record
        return None
    writer = next((t for t in threads if t.started and t.reachable and any(e.tag == PROGRESS for e in t.effects)),
                  None)
    if writer is None:
        return None
    return Citation(p.file, p.line, detail=f"{p.file}'s last update, {_stamp(p.updated_time)}, rewritten by the "
                                           f"heartbeat thread started at {writer.start_file}:{writer.start_line}")


def _drill(run: RunEvidence) -> ProbeResult | None:
    """The drill's answer: every restart of the unchanged command resumed from the newest
    valid checkpoint (by construction, auto-resume), or not."""
    d = run.drill
    if d is None or d.check("resumed_from_newest") not in ("pass", "fail"):
        return None
    cites = (Citation(d.file, detail=f"audit drill {d.started_at}: {d.kills} kills, verdict {d.verdict}; "
                                     + "; ".join(d.evidence[:3])),)
    measured = {"drill_kills": d.kills, "drill_verdict": d.verdict}
    if d.check("resumed_from_newest") == "pass":
        return ProbeResult(Verdict.YES, f"audit drill: after each of {d.kills} SIGKILLs the unchanged command "
                                        "resumed from the newest valid checkpoint", cites, measured)
    return ProbeResult(Verdict.NO, "audit drill: a restart did not resume from the newest valid checkpoint",
                       cites, measured)


def _never_restarted(run: RunEvidence) -> ProbeResult | None:
    """No evidence either way: a run that never restarted did not exercise resuming."""
    if run.restarts or run.resumes or run.restarts_from_scratch:
        return None
    first = run.sessions[0] if run.sessions else None
    cites = (_ref_cite(first, "its only session starts here"),) if first else (
        Citation(str(run.run_dir), detail="searched"),)
    return ProbeResult(Verdict.NO_EVIDENCE, "the run never restarted (one session): resuming was not exercised",
                       cites, {"sessions": len(run.sessions), "resumes": 0})


@probe("run.resumed")
def resumed(ev: Any) -> ProbeResult:
    """yes: the run resumed from a checkpoint and never restarted from scratch after saving;
    a run that never restarted is no evidence."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    measured = {"resumes": len(run.resumes), "restarts_from_scratch": len(run.restarts_from_scratch),
                "sessions": len(run.sessions)}
    if run.restarts_from_scratch:
        r = run.restarts_from_scratch[0]
        return ProbeResult(Verdict.NO, f"the run restarted from scratch after saving checkpoints ({r.detail}): "
                                       "lost work", tuple(_ref_cite(x) for x in run.restarts_from_scratch[:3]),
                           measured)
    if run.resumes:
        r = run.resumes[0]
        return ProbeResult(Verdict.YES, f"{r.detail}", tuple(_ref_cite(x) for x in run.resumes[:3]), measured)
    if (drilled := _drill(run)) is not None:
        return drilled
    if (never := _never_restarted(run)) is not None:
        return never
    cites = tuple(_ref_cite(s) for s in run.sessions[:2]) or (Citation(str(run.run_dir), detail="searched"),)
    return ProbeResult(Verdict.NO, f"the run never resumed from a checkpoint ({len(run.sessions)} session(s), "
                                   "no resume recorded)", cites, measured)


@probe("run.auto_resumed")
def auto_resumed(ev: Any) -> ProbeResult:
    """yes: a restart of the same command resumed without being given a resume path (events, or
    a foreign session whose recorded command line has no resume option); explicit only -> no."""
    run = _run(ev)
    if run is None:
        return _none(ev)
    measured = {"resumes": len(run.resumes), "sessions": len(run.sessions)}
    if run.restarts_from_scratch:
        return ProbeResult(Verdict.NO, "a restart began from scratch although checkpoints existed",
                           tuple(_ref_cite(x) for x in run.restarts_from_scratch[:3]), measured)
    if run.events_file:
        auto = [r for r in run.resumes if r.mode.lower() in ("auto", "", "none")]
        if auto:
            return ProbeResult(Verdict.YES, f"restarted with resume={auto[0].mode or 'default'} and {auto[0].detail}",
                               tuple(_ref_cite(r) for r in auto[:3]), measured)
    elif run.resumes:
        return _foreign_auto_resume(run, measured)
    if not run.resumes and (drilled := _drill(run)) is not None:
        return drilled
    if (never := _never_restarted(run)) is not None:
        return never
    if run.resumes:
        return ProbeResult(Verdict.NO, "resumed only when given a path (resume="
                           + ", ".join(sorted({r.mode for r in run.resumes})) + ")",
                           tuple(_ref_cite(r) for r in run.resumes[:3]), measured)
    cites = tuple(_ref_cite(s) for s in run.sessions[:2]) or (Citation(str(run.run_dir), detail="searched"),)
    return ProbeResult(Verdict.NO, "no restart of the run resumed by itself", cites, measured)


def _foreign_auto_resume(run: RunEvidence, measured: dict[str, Any]) -> ProbeResult:
    """A foreign run's resumes, told by what each resumed session recorded of how it was started."""
    by_start = {s.start_source: s for s in run.log.sessions}
    auto = [r for r in run.resumes if r.mode == "auto"]
    explicit = [r for r in run.resumes if r.mode.startswith("explicit")]
    if auto:
        session = next((s for s in run.log.sessions if s.resume_source == f"{auto[0].file}:{auto[0].line}"), None)
        cites = [_at(session.command_source)] if session is not None and session.command_source else []
        command = session.command if session is not None else ""
        cites = [Citation(c.source, c.line, detail=f"the restart's command line, no resume option: {command}")
                 for c in cites] + [_ref_cite(auto[0])]
        return ProbeResult(Verdict.YES, f"restarted with '{command}' (no resume option) and {auto[0].detail}",
                           tuple(cites), measured)
    if explicit:
        r = explicit[0]
        session = next((s for s in run.log.sessions if s.resume_source == f"{r.file}:{r.line}"), None)
        asked = _at(session.explicit_source) if session is not None and session.explicit_source else None
        cites = ([Citation(asked.source, asked.line, detail=f"asked for: {session.explicit_resume}")] if asked else []
                 ) + [_ref_cite(r)]
        return ProbeResult(Verdict.NO, f"the restart resumed only because it was asked to "
                                       f"({r.mode.removeprefix('explicit: ')})", tuple(cites), measured)
    del by_start
    return ProbeResult(Verdict.PARTIAL, "the log shows a resume, but not how the restart was started "
                                        "(no command line recorded)", tuple(_ref_cite(r) for r in run.resumes[:3]),
                       measured)
