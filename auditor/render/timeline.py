"""The run timeline as data: lanes of saves and heartbeats, the gaps between saves, the sessions.

`build_timeline` is a pure function of the run evidence (its `history`, auditor.evidence.history)
and the project's bounds; the SVG renderer (auditor.render.svg) is a pure function of its
result. Everything a person hovers over is prepared here as plain text (titles), so that
a better reading of the run (how sessions are split, where saves come from) changes the
picture without touching the drawing. Nothing is invented: a lane without evidence is left
empty and a note says so, and a run with nothing timed is not drawn at all.
"""

from __future__ import annotations

import bisect
import statistics
import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

MAX_MARKS = 400  # per lane; past it a lane is thinned (and the page says so)
BAD_STATUS = ("corrupt", "incomplete", "unreadable", "in_progress")
ENDINGS = {
    "finished": "finished (recorded)",
    "preempted": "preempted (recorded)",
    "failed": "failed (recorded)",
    "killed": "stopped without an end record (killed or crashed); a later session started",
    "open": "no end recorded: still running, or stopped without a record",
}


@dataclass(frozen=True)
class Bounds:
    """The band a gap between periodic saves must fall in, and the heartbeat's largest gap."""

    min_s: float = 60.0
    max_s: float = 300.0
    beat_max_s: float = 60.0
    source: str = "the default 1-5 min band"


@dataclass(frozen=True)
class Mark:
    """A point on a lane; `count` > 1 when thinning grouped several (from `t` to `t_end`)."""

    t: float
    kind: str  # periodic | best | final | preempt | other, or heartbeat
    title: str
    count: int = 1
    t_end: float | None = None
    bad: bool = False  # a save that is not usable (corrupt, incomplete, unreadable, being written)


@dataclass(frozen=True)
class GapBar:
    """The interval between two saves (or heartbeats) of one session, judged against the bounds."""

    t0: float
    t1: float
    seconds: float  # the gap; for a merged run of gaps, the largest
    verdict: str  # below | within | above
    title: str
    count: int = 1


@dataclass(frozen=True)
class SessionBar:
    t0: float
    t1: float
    ended: str  # finished | preempted | failed | killed | open
    title: str
    resume_time: float | None = None
    resume_title: str = ""
    from_scratch: bool = False


@dataclass(frozen=True)
class Timeline:
    drawable: bool
    reason: str  # why nothing is drawn (empty when drawable)
    bounds: Bounds
    start: float = 0.0
    end: float = 0.0
    saves: tuple[Mark, ...] = ()
    gaps: tuple[GapBar, ...] = ()
    beats: tuple[Mark, ...] = ()
    late_beats: tuple[GapBar, ...] = ()  # heartbeat gaps above the bound
    sessions: tuple[SessionBar, ...] = ()
    total_saves: int = 0
    total_beats: int = 0
    notes: tuple[str, ...] = ()  # thinning, weak evidence, empty lanes
    sources: tuple[str, ...] = ()  # where each lane was read from


def stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + " UTC"


def duration(seconds: float) -> str:
    if seconds < 100:
        return f"{seconds:.3g} s"
    if seconds < 3 * 3600:
        return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds / 3600:.1f} h"


def bounds_from(rules: Iterable[Any]) -> Bounds:
    """The bounds the project's rules give the interval and heartbeat probes (defaults otherwise)."""
    found: dict[str, Any] = {}
    for rule in rules:
        for column in rule.columns.values():
            if column.probe == "run.checkpoint_gaps":
                found.update(min_s=float(column.params.get("min_s", 60)), max_s=float(column.params.get("max_s", 300)),
                             source=f"rule {rule.id}")
            elif column.probe == "run.heartbeat":
                found["beat_max_s"] = float(column.params.get("max_s", 60))
    return Bounds(**found)


def build_timeline(run: Any, bounds: Bounds, max_marks: int = MAX_MARKS) -> Timeline:
    """The timeline of `run` (an auditor.evidence.run.RunEvidence, or None)."""
    if run is None or getattr(run, "run_dir", None) is None:
        return Timeline(False, "no run directory was examined (give one with --run DIR)", bounds)
    if not run.found:
        return Timeline(False, f"nothing to read in the run directory {run.run_dir}", bounds)
    h = run.history
    times = [s.time for s in h.saves] + [b.time for b in h.beats]
    times += [t for s in h.sessions for t in (s.start, s.end, s.resume_time) if t is not None]
    if not times:
        return Timeline(False, "no save, session or heartbeat with a known time in the run: too little "
                               "evidence to draw a timeline", bounds)
    start, end = min(times), max(times)
    if end - start < 1.0:
        start, end = start - 30.0, end + 30.0
    session_starts = sorted(s.start for s in h.sessions if s.start is not None)
    notes: list[str] = []
    saves, gaps = _save_lane(h.saves, session_starts, bounds, max_marks, start, end, notes)
    beats, late = _beat_lane(h.beats, session_starts, bounds, max_marks, start, end, notes)
    sessions = tuple(_session_bar(i + 1, s, end) for i, s in enumerate(h.sessions))
    if not h.sessions:
        notes.append("no session start was found (no events.jsonl and no timestamped log line)")
    if "mtime" in h.saves_source:
        notes.append("save times are file times (mtime): a copy or a checkout resets them, so the gaps "
                     "may not be the run's")
    sources = tuple(f"{lane}: {src}" for lane, src in (("saves", h.saves_source), ("heartbeats", h.beats_source),
                                                       ("sessions", h.sessions_source)) if src)
    return Timeline(True, "", bounds, start, end, saves, gaps, beats, late, sessions, len(h.saves), len(h.beats),
                    tuple(notes), sources)


# --------------------------------------------------------------------------- lanes


def _session_of(t: float, starts: Sequence[float]) -> int:
    return max(0, bisect.bisect_right(starts, t) - 1)


def _judge(seconds: float, bounds: Bounds) -> str:
    return "above" if seconds > bounds.max_s else "below" if seconds < bounds.min_s else "within"


def short(seconds: float) -> str:
    """A bound as people write it: 60 -> 1 min, 90 -> 90 s."""
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


def band(bounds: Bounds) -> str:
    return f"{short(bounds.min_s)} to {short(bounds.max_s)}"


def _save_lane(saves: Sequence[Any], starts: Sequence[float], bounds: Bounds, max_marks: int, start: float,
               end: float, notes: list[str]) -> tuple[tuple[Mark, ...], tuple[GapBar, ...]]:
    marks: list[Mark] = []
    gaps: list[GapBar] = []
    previous: dict[int, Any] = {}  # session -> its last usable periodic save
    verdict_words = {"above": "above the bound", "below": "below the bound (saves more often than needed)",
                     "within": "within the bound"}
    for s in saves:
        bad = s.status in BAD_STATUS
        lines = [s.file, f"{s.kind} save" + (f" at step {s.step}" if s.step is not None else "") + f", {s.status}",
                 stamp(s.time), f"from {s.source}"]
        if s.kind == "periodic" and not bad:
            session = _session_of(s.time, starts)
            before = previous.get(session)
            if before is not None:
                seconds = round(s.time - before.time, 3)
                verdict = _judge(seconds, bounds)
                lines.insert(3, f"gap {duration(seconds)} since {before.file}: {verdict_words[verdict]}")
                gaps.append(GapBar(before.time, s.time, seconds, verdict,
                                   f"{duration(seconds)} between {before.file} and {s.file} "
                                   f"({stamp(before.time)} to {stamp(s.time)}): {verdict_words[verdict]} "
                                   f"of {band(bounds)}"))
            previous[session] = s
        marks.append(Mark(s.time, s.kind, "\n".join(lines), bad=bad))
    if not marks:
        notes.append("no checkpoint save with a known time in the run")
    if len(marks) > max_marks:
        kept = _thin_marks(marks, max_marks, start, end, lambda m: m.kind == "periodic" and not m.bad, "periodic saves")
        notes.append(f"saves lane thinned: {len(marks):,} saves drawn as {len(kept):,} marks (periodic saves grouped "
                     "by time, each group's hover says how many; best, final, preempt and unusable saves drawn "
                     "one by one)")
        marks = kept
    if len(gaps) > max_marks:
        merged = _merge_gaps(gaps, bounds, "gaps")
        notes.append(f"gaps thinned: {len(gaps):,} gaps drawn as {len(merged):,} bars (each gap outside "
                     f"{band(bounds)} drawn on its own, runs of gaps within it merged)")
        gaps = merged
    return tuple(marks), tuple(gaps)


def _beat_lane(beats: Sequence[Any], starts: Sequence[float], bounds: Bounds, max_marks: int, start: float,
               end: float, notes: list[str]) -> tuple[tuple[Mark, ...], tuple[GapBar, ...]]:
    marks = [Mark(b.time, "heartbeat", f"heartbeat or progress refresh\n{stamp(b.time)}\nfrom {b.source}")
             for b in sorted(beats, key=lambda b: b.time)]
    late: list[GapBar] = []
    for a, b in zip(marks, marks[1:]):
        seconds = round(b.t - a.t, 3)
        if seconds > bounds.beat_max_s and _session_of(a.t, starts) == _session_of(b.t, starts):
            late.append(GapBar(a.t, b.t, seconds, "above", f"no heartbeat for {duration(seconds)} "
                               f"({stamp(a.t)} to {stamp(b.t)}): above the {short(bounds.beat_max_s)} bound"))
    if not marks:
        notes.append("no heartbeat or progress refresh with a time in the run")
    if len(marks) > max_marks:
        kept = _thin_marks(marks, max_marks, start, end, lambda m: True, "heartbeats")
        notes.append(f"heartbeat lane thinned: {len(marks):,} heartbeats drawn as {len(kept):,} marks")
        marks = kept
    if len(late) > max_marks:
        late = [g for g in _merge_gaps(late, bounds, "late heartbeats", force=True)]
    return tuple(marks), tuple(late)


def _thin_marks(marks: list[Mark], max_marks: int, start: float, end: float, groupable: Any, what: str) -> list[Mark]:
    """Group the groupable marks by time into at most max_marks buckets; the rest stay one by one."""
    single = [m for m in marks if not groupable(m)]
    buckets = max(1, max_marks - len(single))
    width = (end - start) / buckets or 1.0
    groups: dict[int, list[Mark]] = {}
    for m in marks:
        if groupable(m):
            groups.setdefault(min(buckets - 1, int((m.t - start) / width)), []).append(m)
    out = list(single)
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        first, last = members[0], members[-1]
        out.append(Mark(first.t, first.kind, f"{len(members)} {what}, {stamp(first.t)} to {stamp(last.t)}\n"
                                             f"first: {first.title.splitlines()[0]}\nlast: {last.title.splitlines()[0]}",
                        count=len(members), t_end=last.t))
    return sorted(out, key=lambda m: (m.t, m.kind))


def _merge_gaps(gaps: list[GapBar], bounds: Bounds, what: str, force: bool = False) -> list[GapBar]:
    """Merge runs of consecutive gaps within the bounds (every verdict when `force`)."""
    out: list[GapBar] = []
    run: list[GapBar] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            largest = max(g.seconds for g in run)
            median = statistics.median(g.seconds for g in run)
            out.append(GapBar(run[0].t0, run[-1].t1, largest, run[0].verdict,
                              f"{len(run)} {what} {stamp(run[0].t0)} to {stamp(run[-1].t1)}, all "
                              f"{run[0].verdict} {band(bounds)}: largest {duration(largest)}, median "
                              f"{duration(median)}", count=sum(g.count for g in run)))
        run.clear()

    for g in gaps:
        mergeable = force or g.verdict == "within"
        if run and (not mergeable or g.verdict != run[-1].verdict or g.t0 != run[-1].t1):
            flush()
        if mergeable:
            run.append(g)
        else:
            out.append(g)
    flush()
    return out


def _session_bar(number: int, s: Any, last: float) -> SessionBar:
    t0 = s.start if s.start is not None else (s.end if s.end is not None else last)
    t1 = s.end if s.end is not None and s.end >= t0 else t0
    lines = [f"session {number}: {stamp(t0)} to {stamp(t1)} ({duration(t1 - t0)})",
             f"started: {s.start_source}", f"ended: {ENDINGS.get(s.ended, s.ended)} ({s.end_source})"]
    resume_title = ""
    if s.resumed_from:
        resume_title = f"resumed from {s.resumed_from}" + (f" at {stamp(s.resume_time)}" if s.resume_time else "") \
            + f" ({s.resume_source})"
        lines.append(resume_title)
    elif s.from_scratch:
        lines.append("started from scratch although checkpoints had been saved: work lost")
    return SessionBar(t0, t1, s.ended, "\n".join(lines), s.resume_time if s.resumed_from else None, resume_title,
                      s.from_scratch)
