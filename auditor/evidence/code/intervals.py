"""Checkpoint intervals in code, with their unit.

- `save_intervals`: the period a periodic save is reached at, read from the guard that leads
  to it (`step % eval_interval == 0`, `time.time() - last >= SAVE_EVERY_MIN * 60`) and followed
  to the value it holds by default (auditor.evidence.code.values), cited where it is declared;
- `declared_intervals`: parameter defaults, class fields and CLI option defaults whose name
  is a configured interval name, with the unit decided from the value (`"2m"`), the name
  (`save_every_s`) or the usage (`step % every == 0`): the fallback when a save's period is
  computed somewhere this reading cannot follow.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from auditor import rxcache
from auditor.evidence.code.facts import SAVE, Interval, LoopCall
from auditor.evidence.code.scan import FileScan
from auditor.evidence.code.syntax import names_in, option_name


_UNIT_RE = rxcache.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hours?|"
                      r"steps?|it|iters?|iterations?|batch(?:es)?|epochs?)\s*$", re.I)


# names of a checkpoint interval besides the configured ones: save_every_minutes, CKPT_EVERY_STEPS, persist_every_s
_INTERVAL_NAME = rxcache.compile(r"(?:^|_)(?:checkpoint|ckpt|save|persist|snapshot)_?(?:every|interval|period|freq)")


def parse_interval(text: str) -> tuple[float, str, float | None] | None:
    """'2m' -> (2, 'time', 120); '500steps' -> (500, 'steps', None); None if not an interval string."""
    m = _UNIT_RE.match(text)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit.startswith("s") and not unit.startswith("step"):
        return value, "time", value
    if unit.startswith("m"):
        return value, "time", value * 60
    if unit.startswith("h"):
        return value, "time", value * 3600
    if unit.startswith("e"):
        return value, "epochs", None
    return value, "steps", None


def _unit_from_name(name: str) -> tuple[str, float] | None:
    low = name.lower()
    for suffix, unit in _UNIT_SUFFIXES:
        if suffix.search(low):
            return unit
    return None


_UNIT_SUFFIXES = ((rxcache.compile(r"(_s|_sec|_secs|_seconds|seconds)$"), ("time", 1.0)),
                  (rxcache.compile(r"(_m|_min|_mins|_minutes|minutes)$"), ("time", 60.0)),
                  (rxcache.compile(r"(_h|_hours|hours)$"), ("time", 3600.0)),
                  (rxcache.compile(r"steps?$|iters?$|batch(es)?$"), ("steps", 1.0)),
                  (rxcache.compile(r"epochs?$"), ("epochs", 1.0)))


def _unit_from_usage(name: str, scans: list[FileScan]) -> tuple[str, str] | None:
    for scan in scans:
        for node in scan.mod_exprs:
            if isinstance(node, ast.BinOp):
                right, left = names_in(node.right), names_in(node.left)
                if name in right:
                    where = f"{scan.rel}:{node.lineno} `{scan.seg(node)}`"
                    if any("epoch" in n.lower() for n in left):
                        return "epochs", where
                    if any(re.search(r"step|batch|iter", n.lower()) for n in left):
                        return "steps", where
            elif isinstance(node, ast.Compare):
                names = names_in(node)
                if name in names and any(re.search(r"time|monotonic|elapsed|clock", n.lower()) for n in names):
                    return "time", f"{scan.rel}:{node.lineno} `{scan.seg(node)}`"
    return None


def declared_intervals(scans: tuple[FileScan, ...], wanted: tuple[str, ...]) -> list[Interval]:
    """Every parameter default, class field and CLI option default named like an interval, with its unit."""

    def matches(name: str) -> bool:
        low = name.lower()
        return any(low == w or low.startswith(w + "_") for w in wanted) or bool(_INTERVAL_NAME.search(low))

    found: list[tuple[str, str, ast.AST | None, str, str, int]] = []  # name, where, node, text, file, line
    for scan in scans:
        for fs in scan.functions:
            node = fs.node
            a = node.args
            positional = a.posonlyargs + a.args
            defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
            for arg, d in list(zip(positional, defaults)) + list(zip(a.kwonlyargs, a.kw_defaults)):
                if d is not None and matches(arg.arg):
                    found.append((arg.arg, fs.qualname, d, scan.seg(d), scan.rel, arg.lineno))
        fields = {id(value) for _cls, _name, value, _line in scan.class_fields}
        for names, value in scan.module.assigns:  # module-level settings: CKPT_EVERY_STEPS = 50
            if len(names) == 1 and matches(next(iter(names))) and id(value) not in fields:
                name = next(iter(names))
                found.append((name, "<module>", value, scan.seg(value), scan.rel, value.lineno))
        for cls, name, value, line in scan.class_fields:
            if matches(name):
                found.append((name, cls, value, scan.seg(value), scan.rel, line))
        for node, line in scan.options:
            declared = [option_name(a.value) for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            for name in declared:
                if matches(name) and default is not None:
                    found.append((name, "option", default, scan.seg(default), scan.rel, line))
    out: list[Interval] = []
    for name, where, node, text, rel, line in found:
        value: float | None = None
        unit, seconds, reason = "unknown", None, "no unit in the name, value or usage"
        const = node.value if isinstance(node, ast.Constant) else None
        if isinstance(const, (int, float)) and not isinstance(const, bool):
            value = float(const)
        parsed = parse_interval(const) if isinstance(const, str) else None
        by_name = _unit_from_name(name)
        if parsed:
            value, unit, seconds = parsed
            reason = f"value {const!r}"
        elif by_name and value is not None:
            unit = by_name[0]
            seconds = value * by_name[1] if unit == "time" else None
            reason = f"name {name!r}"
        elif value is not None:
            usage = _unit_from_usage(name, scans)
            if usage:
                unit, reason = usage[0], f"used as {usage[1]}"
                if unit == "time":
                    seconds = value
        if const is None and not isinstance(node, ast.Constant):
            reason = f"default is an expression ({text})"
        out.append(Interval(name, text, value, unit, seconds, rel, line, where, reason))
    return out


def seconds_of(value: Any, name: str) -> float | None:
    """Seconds of a time interval's resolved value: what a timedelta or the arithmetic at its use
    (`* 60`) made of it, else what its name says (`_minutes`, `_s`), else seconds."""
    number = value.number
    if number is None:
        return None
    if value.seconds_by_call or value.factor != 1:
        return number
    by_name = _unit_from_name(name)
    return number * by_name[1] if by_name and by_name[0] == "time" else number


def save_intervals(loop_calls: tuple[LoopCall, ...]) -> list[Interval]:
    """The period each periodic save in a loop is reached at, from the guard that decides it."""
    out: list[Interval] = []
    for lc in loop_calls:
        eff = lc.effect(SAVE)
        if eff is None or eff.blocked_by:
            continue
        for g in eff.guards:
            if not g.kind.startswith("period-") or not g.interval:
                continue
            expr, value = g.interval
            unit = g.kind.removeprefix("period-")
            unit = "time" if unit == "time" else unit
            name = value.name if value is not None and value.name else g.text
            if value is None or value.number is None:
                out.append(Interval(name, g.text, None, unit, None, g.file, g.line, f"the guard `if {g.text}`",
                                    f"{g.what}; its value could not be followed"))
                continue
            seconds = seconds_of(value, name) if unit == "time" else None
            declared = value.number / value.factor if value.factor else value.number
            out.append(Interval(name, f"{declared:g}", value.number, unit, seconds, value.file, value.line,
                                f"{g.file}:{g.line} `if {g.text}`",
                                f"{g.what}; {name} = {declared:g} ({value.how})"))
    return out
