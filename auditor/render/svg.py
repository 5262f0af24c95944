"""SVG drawings of the timeline and the training curves: pure functions of their models.

Plain SVG written through jinja2 templates with autoescape on: every name, path and log text
from the audited run reaches the drawing as escaped text (element text or a quoted
attribute), never as markup. Colours are presentation attributes rather than a stylesheet,
so the same file draws the same inside the HTML report and alone (the Markdown report's
`--assets` image, where GitHub shows it). Coordinates are printed with one decimal, so a
given model always gives the same bytes.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from auditor.render.curves import Curves
from auditor.render.escape import html_text
from auditor.render.timeline import Timeline, band, duration

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
XMLNS = ' xmlns="http://www.w3.org/2000/svg"'
WIDTH, LEFT, RIGHT = 960, 120, 16
GAP_COLOURS = {"within": "#2e9d4f", "below": "#e0a100", "above": "#d62728"}
SAVE_COLOURS = {"periodic": "#1f5fbf", "best": "#b8860b", "final": "#222222", "preempt": "#e06000",
                "other": "#7f7f7f"}
SESSION_COLOURS = {"finished": "#cfe8d5", "preempted": "#fde3c4", "failed": "#f6c9c9", "killed": "#f6c9c9",
                   "open": "#e4e4e4"}
# (seconds per tick, label format) from fine to coarse; the first giving at most 8 ticks is used
_TICKS = [(s, "%H:%M:%S") for s in (1, 2, 5, 10, 15, 30)] + [(m * 60, "%H:%M") for m in (1, 2, 5, 10, 15, 30)] + \
         [(h * 3600, "%H:%M") for h in (1, 2, 3, 6, 12)] + [(d * 86400, "%m-%d") for d in (1, 2, 7, 14, 30, 91, 365)]


def escaped(value: object) -> object:
    """Every printed value through the one HTML escaping helper (render/escape.py), which also makes
    control characters and bidi overrides visible; Markup (already built markup) passes as it is."""
    if value is None or isinstance(value, Markup):
        return value
    return Markup(html_text(value))  # escaped just now


def template_env() -> jinja2.Environment:
    """A jinja2 environment for HTML and SVG templates: autoescape on, values escaped by `escaped`."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                              finalize=escaped)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = template_env()
    env.filters["f1"] = lambda v: f"{v:.1f}"
    env.filters["g"] = lambda v: f"{v:.4g}"
    return env


def _scale(a: float, b: float, lo: float, hi: float) -> Callable[[float], float]:
    span = (b - a) or 1.0
    return lambda v: lo + (v - a) / span * (hi - lo)


def time_ticks(start: float, end: float, most: int = 8) -> list[tuple[float, str]]:
    """Round UTC times between start and end, with labels; the first carries the date."""
    span = max(end - start, 1.0)
    step, fmt = next(((s, f) for s, f in _TICKS if span / s <= most), (_TICKS[-1][0] * math.ceil(span / (
        _TICKS[-1][0] * most)), "%Y-%m-%d"))
    first = math.ceil(start / step) * step
    ticks = []
    t = first
    while t <= end:
        label = time.strftime(fmt, time.gmtime(t))
        if not ticks:
            label = time.strftime("%Y-%m-%d ", time.gmtime(t)) + label
        ticks.append((t, label))
        t += step
    return ticks


def render_timeline_svg(tl: Timeline, *, standalone: bool = False) -> str:
    """The timeline as one <svg class="timeline">; `standalone` adds the namespace a file needs."""
    x = _scale(tl.start, tl.end, LEFT, WIDTH - RIGHT)
    out = _env().get_template("timeline.svg.j2").render(
        tl=tl, x=x, xmlns=XMLNS if standalone else "", width=WIDTH, left=LEFT, right=WIDTH - RIGHT,
        ticks=time_ticks(tl.start, tl.end) if tl.drawable else [], gap_colours=GAP_COLOURS,
        save_colours=SAVE_COLOURS, session_colours=SESSION_COLOURS, duration=duration,
        band=band(tl.bounds))
    return out.rstrip("\n") + "\n"


PANEL_H, PANEL_GAP = 110, 34
CURVE_COLOURS = ("#1f5fbf", "#d62728", "#2e9d4f", "#9467bd", "#e06000", "#17becf", "#8c564b", "#7f7f7f")


def render_curves_svg(curves: Curves, *, standalone: bool = False) -> str:
    """The curves as one <svg class="curves">: one panel per series on a shared axis."""
    x = _scale(curves.x0, curves.x1, LEFT, WIDTH - RIGHT)
    panels = []
    for i, c in enumerate(curves.curves):
        top = 16 + i * (PANEL_H + PANEL_GAP)
        low, high = (c.low - 0.5, c.high + 0.5) if c.high - c.low < 1e-12 else (c.low, c.high)
        y = _scale(low, high, top + PANEL_H, top)
        panels.append({"curve": c, "top": top, "colour": CURVE_COLOURS[i % len(CURVE_COLOURS)],
                       "path": " ".join(("M" if i in c.segments else "L") + f"{x(px):.1f},{y(py):.1f}"
                                        for i, (px, py) in enumerate(c.points)),
                       "single": len(c.points) == 1, "low": c.low, "high": c.high,
                       "first": c.points[0], "y": y})
    height = 16 + len(panels) * (PANEL_H + PANEL_GAP) + 8 if panels else 60
    ticks = time_ticks(curves.x0, curves.x1) if curves.axis == "time" else _step_ticks(curves.x0, curves.x1)
    out = _env().get_template("curves.svg.j2").render(
        curves=curves, panels=panels, x=x, xmlns=XMLNS if standalone else "", width=WIDTH, left=LEFT,
        right=WIDTH - RIGHT, height=height, ticks=ticks if curves.drawable else [], panel_h=PANEL_H)
    return out.rstrip("\n") + "\n"


def _step_ticks(a: float, b: float, most: int = 8) -> list[tuple[float, str]]:
    span = max(b - a, 1.0)
    raw = span / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(a / step) * step
    return [(first + i * step, f"step {first + i * step:g}") for i in range(int((b - first) // step) + 1)]
