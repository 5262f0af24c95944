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
    """One session of the run as a bar: its start and end, how it ended, and where it resumed."""

    t0: float
    t1: float
    ended: str  # finished | preempted | failed | killed | open
    title: str
    resume_time: float | None = None
    resume_title: str = ""
    from_scratch: bool = False


@dataclass(frozen=True)
class Timeline:
    """The run's timeline: saves, gaps, heartbeats and sessions in lanes over its time span, or why none is drawn."""

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


_VERDICT_WORDS = {"above": "above the bound", "below": "below the bound (saves more often than needed)",
                  "within": "within the bound"}


@dataclass(frozen=True)
class _Gap:
    """A gap before its hover text is written (only drawn gaps get one)."""

    before: Any  # the Save it starts at
    after: Any
    seconds: float
    verdict: str


def _save_lane(saves: Sequence[Any], starts: Sequence[float], bounds: Bounds, max_marks: int, start: float,
               end: float, notes: list[str]) -> tuple[tuple[Mark, ...], tuple[GapBar, ...]]:
    gap_before: dict[int, _Gap] = {}  # index of a save -> the gap that ends at it
    previous: dict[int, Any] = {}  # session -> its last usable periodic save
    for i, s in enumerate(saves):
        if s.kind == "periodic" and s.status not in BAD_STATUS:
            session = _session_of(s.time, starts)
            before = previous.get(session)
            if before is not None:
                seconds = round(s.time - before.time, 3)
                gap_before[i] = _Gap(before, s, seconds, _judge(seconds, bounds))
            previous[session] = s
    if not saves:
        notes.append("no checkpoint save with a known time in the run")
    groupable = [s.kind == "periodic" and s.status not in BAD_STATUS for s in saves]
    marks = _lane([s.time for s in saves], groupable, max_marks, start, end,
                  lambda i: Mark(saves[i].time, saves[i].kind, _save_title(saves[i], gap_before.get(i)),
                                 bad=saves[i].status in BAD_STATUS),
                  lambda first, last, n: Mark(saves[first].time, "periodic", _group_title(
                      n, "periodic saves", saves[first].time, saves[last].time, saves[first].file, saves[last].file),
                      count=n, t_end=saves[last].time))
    if len(marks) < len(saves):
        notes.append(f"saves lane thinned: {len(saves):,} saves drawn as {len(marks):,} marks (periodic saves grouped "
                     "by time, each group's hover says how many; best, final, preempt and unusable saves drawn "
                     "one by one)")
    gaps = list(gap_before.values())
    if len(gaps) <= max_marks:
        return tuple(marks), tuple(_gap_bar(g, bounds) for g in gaps)
    bars = _merged_gaps(gaps, bounds)
    notes.append(f"gaps thinned: {len(gaps):,} gaps drawn as {len(bars):,} bars (each gap outside "
                 f"{band(bounds)} drawn on its own, runs of gaps within it merged)")
    return tuple(marks), tuple(bars)


def _save_title(s: Any, gap: _Gap | None) -> str:
    lines = [s.file, f"{s.kind} save" + (f" at step {s.step}" if s.step is not None else "") + f", {s.status}",
             stamp(s.time)]
    if gap is not None:
        lines.append(f"gap {duration(gap.seconds)} since {gap.before.file}: {_VERDICT_WORDS[gap.verdict]}")
    return "\n".join(lines + [f"from {s.source}"])


def _gap_bar(g: _Gap, bounds: Bounds) -> GapBar:
    return GapBar(g.before.time, g.after.time, g.seconds, g.verdict,
                  f"{duration(g.seconds)} between {g.before.file} and {g.after.file} ({stamp(g.before.time)} to "
                  f"{stamp(g.after.time)}): {_VERDICT_WORDS[g.verdict]} of {band(bounds)}")


def _group_title(n: int, what: str, t0: float, t1: float, first: str, last: str) -> str:
    return f"{n:,} {what}, {stamp(t0)} to {stamp(t1)}\nfirst: {first}\nlast: {last}"


def _beat_lane(beats: Sequence[Any], starts: Sequence[float], bounds: Bounds, max_marks: int, start: float,
               end: float, notes: list[str]) -> tuple[tuple[Mark, ...], tuple[GapBar, ...]]:
    beats = sorted(beats, key=lambda b: b.time)
    late: list[GapBar] = []
    for a, b in zip(beats, beats[1:]):
        seconds = b.time - a.time
        if seconds > bounds.beat_max_s and _session_of(a.time, starts) == _session_of(b.time, starts):
            seconds = round(seconds, 3)
            late.append(GapBar(a.time, b.time, seconds, "above", f"no heartbeat for {duration(seconds)} "
                               f"({stamp(a.time)} to {stamp(b.time)}): above the {short(bounds.beat_max_s)} bound"))
    if not beats:
        notes.append("no heartbeat or progress refresh with a time in the run")
    marks = _lane([b.time for b in beats], [True] * len(beats), max_marks, start, end,
                  lambda i: Mark(beats[i].time, "heartbeat",
                                 f"heartbeat or progress refresh\n{stamp(beats[i].time)}\nfrom {beats[i].source}"),
                  lambda first, last, n: Mark(beats[first].time, "heartbeat", _group_title(
                      n, "heartbeats", beats[first].time, beats[last].time, beats[first].source, beats[last].source),
                      count=n, t_end=beats[last].time))
    if len(marks) < len(beats):
        notes.append(f"heartbeat lane thinned: {len(beats):,} heartbeats drawn as {len(marks):,} marks")
    if len(late) > max_marks:
        late = _merged_bars(late, bounds, "late heartbeats")
    return tuple(marks), tuple(late)


def _lane(times: Sequence[float], groupable: Sequence[bool], max_marks: int, start: float, end: float,
          one: Any, group: Any) -> list[Mark]:
    """Marks for items at `times` (sorted): one each, or past max_marks the groupable ones grouped
    by time into buckets (`group(first, last, count)`); the others always one each (`one(index)`)."""
    if len(times) <= max_marks:
        return [one(i) for i in range(len(times))]
    singles = [i for i, g in enumerate(groupable) if not g]
    buckets = max(1, max_marks - len(singles))
    width = (end - start) / buckets or 1.0
    members: dict[int, list[int]] = {}
    for i, t in enumerate(times):
        if groupable[i]:
            members.setdefault(min(buckets - 1, int((t - start) / width)), []).append(i)
    out = [one(i) for i in singles]
    out += [one(m[0]) if len(m) == 1 else group(m[0], m[-1], len(m)) for m in members.values()]
    return sorted(out, key=lambda m: (m.t, m.kind))


def _merged_gaps(gaps: list[_Gap], bounds: Bounds) -> list[GapBar]:
    """Each gap outside the bounds on its own; each run of consecutive gaps within them as one bar."""
    out: list[GapBar] = []
    run: list[_Gap] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(_gap_bar(run[0], bounds))
        elif run:
            out.append(_run_bar([(g.before.time, g.after.time, g.seconds) for g in run], "within", bounds, "gaps"))
        run.clear()

    for g in gaps:
        if run and (g.verdict != "within" or g.before is not run[-1].after):
            flush()
        if g.verdict == "within":
            run.append(g)
        else:
            out.append(_gap_bar(g, bounds))
    flush()
    return out


def _merged_bars(bars: list[GapBar], bounds: Bounds, what: str) -> list[GapBar]:
    """Bars merged in runs of `len(bars) // MAX_MARKS + 1`, so that at most about MAX_MARKS remain."""
    size = len(bars) // MAX_MARKS + 1
    return [_run_bar([(b.t0, b.t1, b.seconds) for b in bars[i:i + size]], bars[i].verdict, bounds, what)
            for i in range(0, len(bars), size)]


def _run_bar(spans: list[tuple[float, float, float]], verdict: str, bounds: Bounds, what: str) -> GapBar:
    seconds = [s for _, _, s in spans]
    largest, median = max(seconds), statistics.median(seconds)
    return GapBar(spans[0][0], spans[-1][1], largest, verdict,
                  f"{len(spans):,} {what} {stamp(spans[0][0])} to {stamp(spans[-1][1])}, all {verdict} "
                  f"{band(bounds)}: largest {duration(largest)}, median {duration(median)}", count=len(spans))


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
