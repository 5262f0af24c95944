"""Training curves as data: each metric series of the run, on one shared axis, with resume points.

`build_curves` is a pure function of the run evidence's history (the series read from the
run's own log or events, auditor.evidence.history). The x axis is wall time when every point
has one (so that the curves line up with the timeline and a resume shows where it happened),
else the step; a run whose points have neither is not drawn. A long series is thinned to the
lowest and highest value of each of a few hundred slices of the axis, which keeps its spikes,
and a note says so.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from auditor.render.timeline import stamp

MAX_POINTS = 600  # per series; past it, min and max per slice of the axis


@dataclass(frozen=True)
class Curve:
    """One metric series as drawn: its points (thinned when long), where each session's stretch begins, its range."""

    name: str
    validation: bool
    source: str
    points: tuple[tuple[float, float], ...]  # (x, value), x increasing
    segments: tuple[int, ...]  # where each session's stretch of points begins (the line breaks there)
    total: int  # points read before thinning
    low: float
    high: float


@dataclass(frozen=True)
class ResumePoint:
    """A later session's resume, placed on the time axis with its title."""

    x: float
    title: str


@dataclass(frozen=True)
class Curves:
    """The run's metric curves on one shared axis (time or step) with their resume points, or why none are drawn."""

    drawable: bool
    reason: str
    axis: str = ""  # time | step
    x0: float = 0.0
    x1: float = 0.0
    curves: tuple[Curve, ...] = ()
    resumes: tuple[ResumePoint, ...] = ()
    notes: tuple[str, ...] = ()


def build_curves(run: Any, max_points: int = MAX_POINTS) -> Curves:
    """The curves of `run` (an auditor.evidence.run.RunEvidence, or None)."""
    if run is None or getattr(run, "run_dir", None) is None:
        return Curves(False, "no run directory was examined")
    series = [s for s in run.history.metrics if s.points]
    if not series:
        return Curves(False, "no loss or validation metric was found in the run's log or events")
    points = [p for s in series for p in s.points]
    if all(p.time is not None for p in points):
        axis = "time"
    elif all(p.step is not None for p in points):
        axis = "step"
    else:
        return Curves(False, "the metric values have neither a time nor a step to place them by")
    notes: list[str] = []
    curves = []
    starts = sorted(x.start for x in run.history.sessions if x.start is not None) if axis == "time" else []
    for s in series:
        xy = sorted(((p.time if axis == "time" else float(p.step)), p.value) for p in s.points)
        kept = _thin(xy, max_points)
        if len(kept) < len(xy):
            notes.append(f"{s.name}: {len(xy):,} values drawn as {len(kept):,} points (lowest and highest of each "
                         "slice of the axis)")
        values = [v for _, v in xy]
        breaks = tuple(i for i, (px, _) in enumerate(kept)
                       if i == 0 or bisect.bisect_right(starts, kept[i - 1][0]) != bisect.bisect_right(starts, px))
        curves.append(Curve(s.name, s.validation, s.source, tuple(kept), breaks, len(xy), min(values), max(values)))
    xs = [x for c in curves for x, _ in c.points]
    x0, x1 = min(xs), max(xs)
    resumes = []
    for i, session in enumerate(run.history.sessions):
        if i == 0:
            continue
        where = session.resume_time if session.resume_time is not None else session.start
        label = f"resumed from {session.resumed_from}" if session.resumed_from else \
            "restart (no resume recorded)"
        if axis == "time" and where is not None:
            resumes.append(ResumePoint(where, f"session {i + 1}: {label} at {stamp(where)}"))
    if axis == "step" and len(run.history.sessions) > 1:
        notes.append("the values carry steps but no times: resume points cannot be placed on a step axis")
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 1.0, x1 + 1.0
    return Curves(True, "", axis, x0, x1, tuple(curves), tuple(resumes), tuple(notes))


def _thin(xy: list[tuple[float, float]], max_points: int) -> list[tuple[float, float]]:
    """The lowest and highest point of each of max_points/2 equal slices of the axis (xy sorted by x)."""
    if len(xy) <= max_points:
        return xy
    slices = max(1, max_points // 2)
    x0 = xy[0][0]
    width = (xy[-1][0] - x0) / slices or 1.0
    out: list[tuple[float, float]] = []
    current, low, high = -1, xy[0], xy[0]
    for point in xy:
        index = min(slices - 1, int((point[0] - x0) / width))
        if index != current:
            if current >= 0:
                out.extend(sorted({low, high}))
            current, low, high = index, point, point
        elif point[1] < low[1]:
            low = point
        elif point[1] > high[1]:
            high = point
    out.extend(sorted({low, high}))
    return out
