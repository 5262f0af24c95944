"""Dates and times as other people's tools print them, to Unix seconds.

Logs and records carry their times in many shapes: ISO 8601 (`2026-12-02 16:07:08,123`,
`2026-12-02T16:07:08+00:00`), `date`'s output (`Wed Dec  2 16:07:08 UTC 2026`), the US
month/day order of some loggers (`12/02/2026 15:52:55`), year/month/day with slashes
(mmengine's file log, `2026/12/02 15:52:55`), bracketed stamps, a month/day without a year
(mmengine's console, `12/02 15:52:55`, and absl's / glog's `I1202 15:52:55.123456`: the year of the last full
date seen, else one given), and
bare clock times (`16:20:31`) whose date is the last full date seen before them. A stamp without a zone
is read as UTC: within one project every stamp is read the same way, so gaps and order hold.
"""

from __future__ import annotations

import calendar
import itertools

from auditor import rxcache
import time
from collections.abc import Callable, Iterable
from datetime import datetime

_ISO = rxcache.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s?(Z|[+-]\d{2}:?\d{2}|UTC)?")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), start=1)}
_DATE_CMD = rxcache.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+(?:(\d{1,2})\s+)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                       r"Oct|Nov|Dec)\s+(?:(\d{1,2})\s+)?(?:(\d{4})\s+)?(\d{2}):(\d{2}):(\d{2})"
                       r"(?:\s+(?:UTC|GMT|Z|[+-]\d{4}|[A-Z]{3,5}))?(?:\s+(\d{4}))?\b")
_YMD = rxcache.compile(r"\b(\d{4})/(\d{2})/(\d{2})[ T,]+(\d{2}):(\d{2}):(\d{2})\b")  # mmengine: 2026/12/02 15:52:55
_US = rxcache.compile(r"\b(\d{2})/(\d{2})/(\d{4})[ ,]+(\d{2}):(\d{2}):(\d{2})\b")
# `%x %X` in the C locale (rich's RichHandler stamps `[12/03/26 20:44:28]`): month/day/two-digit year
_US_SHORT = rxcache.compile(r"(?<![\d/])(\d{2})/(\d{2})/(\d{2})[ ,]+(\d{2}):(\d{2}):(\d{2})\b")
_MONTH_DAY = rxcache.compile(r"^\W{0,2}(\d{2})/(\d{2})[ ,]+(\d{2}):(\d{2}):(\d{2})\b")  # `12/02 17:03:37`: no year
# absl's and glog's line prefix: severity, month and day without a year, the time (`I1203 20:43:03.338698 ...`)
_GLOG = rxcache.compile(r"^[IWEFD](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s")
_CLOCK = rxcache.compile(r"^\W{0,2}(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?\b")


def _utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> float | None:
    try:
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def parse(text: str) -> float | None:
    """Unix time of the first full date-and-time in `text`, or None."""
    m = _ISO.search(text)
    if m:
        date, clock, frac, zone = m.groups()
        try:
            if zone and zone not in ("Z", "UTC"):
                offset = zone if ":" in zone else zone[:3] + ":" + zone[3:]
                return datetime.fromisoformat(f"{date}T{clock}{'.' + frac[:6] if frac else ''}{offset}").timestamp()
            base = calendar.timegm(time.strptime(f"{date}T{clock}", "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            return None
        return base + (float("0." + frac) if frac else 0.0)
    m = _DATE_CMD.search(text)
    if m:
        day_before, month, day_after, year_before, hh, mm, ss, year_after = m.groups()
        day, year = day_before or day_after, year_before or year_after
        if day and year:
            return _utc(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss))
    m = _US.search(text)
    if m:
        month, day, year, hh, mm, ss = (int(g) for g in m.groups())
        return _utc(year, month, day, hh, mm, ss)
    m = _YMD.search(text)
    if m:
        year, month, day, hh, mm, ss = (int(g) for g in m.groups())
        return _utc(year, month, day, hh, mm, ss)
    m = _US_SHORT.search(text)
    if m:
        month, day, year, hh, mm, ss = (int(g) for g in m.groups())
        return _utc(2000 + year, month, day, hh, mm, ss) if 1 <= month <= 12 else None
    return None


BLANK_COLUMN = 6  # the narrowest time column (`[%X] `, rich's default) a blank one stands for


def carry_blank_times(lines: list[str], times: list[float | None]) -> list[float | None]:
    """`times` with the blanks rich leaves filled: rich's console and RichHandler print a line's time only
    when it differs from the line above's (`omit_repeated_times`), leaving the time column blank, and
    wrap a long message onto lines indented to its column. A line without a time that starts with at
    least BLANK_COLUMN blanks, where the line above (timed, or itself carried) has its time stamp
    within those columns and a blank just before them, has that line's time."""
    out = list(times)
    for i in range(1, len(lines)):
        if out[i] is not None or out[i - 1] is None:
            continue
        text, above = lines[i], lines[i - 1]
        width = len(text) - len(text.lstrip(" "))
        if width < BLANK_COLUMN or width >= len(text) or len(above) <= width or above[width - 1] != " ":
            continue
        head = above[:width]
        if head.strip() and (parse(head) is not None or clock_seconds(head.lstrip("[")) is not None) \
                or not head.strip() and times[i - 1] is None:
            out[i] = out[i - 1]
    return out


MONTH_DAY_PROBE = 2000  # lines looked at for a month/day stamp


def month_day_year(lines: Iterable[str], mtime: Callable[[], float]) -> int | None:
    """The year the log began in when one of its first MONTH_DAY_PROBE lines starts with a month/day
    stamp and no year: the year of its last write (`mtime()`), or the one before when its first stamp
    falls later in the year than that write (a log begun in December, last written in January).
    None when there is no such stamp (the file is not asked)."""
    first = next((m for line in itertools.islice(lines, MONTH_DAY_PROBE)
                  if (m := _MONTH_DAY.match(line) or _GLOG.match(line))), None)
    if first is None:
        return None
    written = time.gmtime(mtime())
    return written.tm_year - ((int(first.group(1)), int(first.group(2))) > (written.tm_mon, written.tm_mday))


def clock_seconds(text: str) -> int | None:
    """Seconds after midnight of a bare `HH:MM:SS` at the start of a line (no date), else None."""
    m = _CLOCK.match(text)
    if not m:
        return None
    hh, mm, ss = (int(g) for g in m.groups())
    return hh * 3600 + mm * 60 + ss if hh < 24 and mm < 60 and ss < 61 else None


class LineClock:
    """Times of successive lines of one log: full stamps, and bare clock times on the last full date.

    A bare `16:20:31` after `2026-12-02 16:20:26` is 2026-12-02 16:20:31; one that reads
    earlier than the previous time by more than an hour is on the next day. With `day` given
    (midnight, in Unix seconds), bare clock times before any full date are on that day. A line that
    starts with a month/day stamp and no year (`12/02 17:03:37`, as mmengine's console prints) is on
    that day of the year of the last full date seen, else of `year` (from the file's name or its
    modification time).
    """

    def __init__(self, year: int | None = None, day: float | None = None) -> None:
        self._day: float | None = day  # midnight (UTC) of the last date seen; `day`: before any is seen
        self._last: float | None = None
        self._year = year
        self._seen_year: int | None = None  # the year of the last dated line

    def _month_day(self, year: int, month: int, day: int, hh: int, mm: int, ss: int) -> float | None:
        """A month/day stamp's time in `year`, or the next year's when it would go back past New Year."""
        if not 1 <= month <= 12:
            return None
        t = _utc(year, month, day, hh, mm, ss)
        if t is not None and self._last is not None and t < self._last - 86400:
            t = _utc(year + 1, month, day, hh, mm, ss)
        return t

    def time_of(self, line: str) -> float | None:
        t = parse(line)
        year = self._seen_year or self._year
        if t is None and year is not None and (m := _MONTH_DAY.match(line)) is not None:
            t = self._month_day(year, *(int(g) for g in m.groups()))
        elif t is None and year is not None and (m := _GLOG.match(line)) is not None:
            t = self._month_day(year, *(int(g) for g in m.groups()[:5]))
            t = t + float("0." + m.group(6)) if t is not None and m.group(6) else t
        if t is not None:
            self._seen_year = time.gmtime(t).tm_year
            self._day = t - t % 86400
            self._last = t
            return t
        seconds = clock_seconds(line)
        if seconds is None or self._day is None:
            return None
        t = self._day + seconds
        if self._last is not None and t < self._last - 3600:
            t += 86400
            self._day += 86400
        self._last = t
        return t
