"""Wall-clock periods, and the units training counts in, as documents say them.

"every 2 minutes", "lose at most a minute and a half of work", "90 wall-clock seconds between
checkpoints", "every `--save-every-min` minutes (2.5 by default)": each found with its low and
high bound in seconds and where it starts (auditor.evidence.requirements reads them).
"""

from __future__ import annotations

import re

from auditor import rxcache

NUM_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
             "sixty": 60, "ninety": 90, "half a": 0.5, "half an": 0.5}
NUM = r"(\d+(?:\.\d+)?|forty-five|half an?|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|sixty|ninety)"
TIME_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b"
# the units a training loop counts in, reinforcement learning's included
STEP_UNIT = r"(steps?|iterations?|iters?|batch(?:es)?|epochs?|updates?|optimi[sz]ation steps|optimizer steps|episodes?|" \
            r"rollouts?|timesteps?|chunks?)\b"  # chunks: a stream learned chunk by chunk (partial_fit)
SECONDS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
           "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
PERIOD = rxcache.compile(rf"\bevery\s+{NUM}(?:\s*(?:-|–|to)\s*{NUM})?\s*{TIME_UNIT}|"
                    rf"\bevery\s+()()(second|minute|hour)\b")  # "every minute": one
# "every `--save-every-min` minutes (2.5 by default)": the period an option sets, its default in parentheses
OPTION_PERIOD = rxcache.compile(rf"\bevery\s+[^\s()]+\s+{TIME_UNIT}\s*\(\s*(?:defaults?\s*(?:to|is|[:=])?\s*{NUM}|"
                           rf"{NUM}\s+(?:by default|is the default|default))")
LOSS_BOUND = rxcache.compile(rf"(?:max(?:imum)?|at most|no more than|up to|never more than|lose|loses|losing)\s+"
                        rf"(?:at most\s+)?{NUM}(?:\s*(?:-|–|to)\s*{NUM})?\s*{TIME_UNIT}")
# "90 wall-clock seconds between checkpoints": a period, said as the time between two saves
BETWEEN_SAVES = rxcache.compile(rf"(?<![\w.]){NUM}(?:\s*(?:-|–|to)\s*{NUM})?\s*(?:wall[- ]clock\s+)?{TIME_UNIT}\s+"
                                r"(?:of\s+wall[- ]clock\s+time\s+)?between\s+(?:two\s+)?(?:checkpoints?|saves|snapshots?)\b")
# a settings list's entry, unit first: "wall-clock seconds between checkpoints; 90 by default"
UNIT_BETWEEN_SAVES = rxcache.compile(rf"(?:wall[- ]clock\s+)?{TIME_UNIT}\s+between\s+(?:two\s+)?(?:checkpoints?|saves|"
                                     rf"snapshots?)\b[^.\n]{{0,12}}?(?<![\w.]){NUM}\s+(?:by default|is the default)")
# a table row's value cell and the cell after it that begins with its unit: `| 90 | seconds between ... |`
ROW_QUANTITY = rxcache.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*;\s*(?=(?:wall[- ]clock\s+)?(?:seconds?|secs?|minutes?|mins?|"
                               r"hours?|hrs?|steps?|iterations?|iters?|batches|updates)\b)", re.I)
STEP_PERIOD = rxcache.compile(rf"\b(?:every|each|per|once (?:an?|per|every))\s+(?:[\w.\-=<>]+\s+){{0,3}}?{STEP_UNIT}")



def number(text: str | None) -> float | None:
    if text is None:
        return None
    return float(text) if text[0].isdigit() else NUM_WORDS.get(text)


def durations(low: str) -> list[tuple[float, float, int]]:
    """(low, high) seconds and offset of each wall-clock period or bound on lost work."""
    out = []
    for pattern in (PERIOD, LOSS_BOUND, BETWEEN_SAVES):
        for m in pattern.finditer(low):
            if m.lastindex and m.lastindex > 3:  # "every minute"
                first, second, unit = 1.0, None, m.group(6)
            else:
                first, second, unit = number(m.group(1)), number(m.group(2)), m.group(3)
            if first is None:
                continue
            if low.startswith(" and a half", m.end()):  # "a minute and a half"
                first, second = first + 0.5, (second + 0.5 if second is not None else None)
            scale = SECONDS.get(unit, 60)
            out.append((first * scale, (second if second is not None else first) * scale, m.start()))
    for m in UNIT_BETWEEN_SAVES.finditer(low):
        value = number(m.group(2))
        if value is not None:
            out.append((value * SECONDS.get(m.group(1), 60), value * SECONDS.get(m.group(1), 60), m.start()))
    for m in OPTION_PERIOD.finditer(low):
        default = number(m.group(2) or m.group(3))
        if default is not None:
            out.append((default * SECONDS.get(m.group(1), 60), default * SECONDS.get(m.group(1), 60), m.start()))
    return out


def fmt(lo: float, hi: float) -> str:
    def one(v: float) -> str:
        return f"{v / 60:g} min" if v >= 60 and v % 60 == 0 else f"{v:g} s"
    return one(lo) if lo == hi else f"{one(lo)}-{one(hi)}"
