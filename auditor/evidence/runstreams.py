"""A run's logs as streams: a file on its own, or the files of one series (one a session, named
alike but for a date stamp; or one log rotated under numbered or dated names, `train.log.2`,
`train.log.1`, `train.log`, as Python's RotatingFileHandler, TimedRotatingFileHandler and logrotate
leave it), and which stream tells the run's sessions (the primary one).

The primary stream is the console log that records the run's starts (a command line, a start line)
and its work (per-step lines, saves), even when a metrics stream beside it (`metrics.jsonl`) holds
more per-step lines; else the stream with the most per-step lines. The line tests come from
auditor.evidence.runlog, which reads the lines.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from auditor import rxcache
from auditor.runfinder import DATED_LOG as _DATED
from auditor.runfinder import ROTATED_LOG as _ROTATED

ROTATION_S = 2  # a file of a series that starts within this of the last one's end continues it (rotation)
Logs = Mapping[str, Sequence[Any]]  # file -> its lines (runlog.LogLine: .time, .text)


# a date stamp in a file's name, or Unix time in seconds or milliseconds (2017-2033: `log_1796315431.txt`)
_SESSION_STAMP = rxcache.compile(r"20\d{2}[01]\d[0-3]\d-[0-2]\d[0-5]\d[0-5]\d\.\d+$|"  # absl/glog: <date>-<time>.<pid>
                                 r"20\d{2}-?[01]\d-?[0-3]\d(?:[_T -]?[0-2]\d[-:]?[0-5]\d(?:[-:]?[0-5]\d)?)?|"
                                 r"(?<!\d)1[5-9]\d{8}(?:\d{3})?(?!\d)")


def session_series(logs: Logs) -> dict[str, tuple[str, ...]]:
    """The logs as streams: a file on its own, or files that differ only by a date stamp
    (`20261202_170331/20261202_170331.log`, `train-2026-12-02.log`, `log_1796315431.txt`, absl's
    `train.host.user.log.INFO.20261203-204303.16894` with its process id), one a session, as one
    stream in time order (by their first timed line, else their names); or a log and its rotations
    (rotated_series), oldest first. Keyed by the first file."""
    rotations = rotated_series(logs)
    rotated = {f for names in rotations.values() for f in names}
    groups: dict[str, list[str]] = {}
    for name in sorted(logs):
        if name in rotated:
            continue
        key = _SESSION_STAMP.sub("#", name) if _SESSION_STAMP.search(name) else name
        groups.setdefault(key, []).append(name)

    def started(name: str) -> tuple[float, str]:
        first = next((x.time for x in logs[name] if x.time is not None), None)
        return (first if first is not None else float("inf"), name)

    out: dict[str, tuple[str, ...]] = {}
    for names in groups.values():
        names.sort(key=started)
        out[names[0]] = tuple(names)
    for names in rotations.values():
        out[names[0]] = names
    return out


def rotated_series(logs: Logs) -> dict[str, tuple[str, ...]]:
    """Each log that has rotations beside it (`train.log` with `train.log.1`, `train.log.2`, or with
    `train.log.2026-12-02`), base -> the files oldest first (the highest number or the earliest date
    first, the base last). Files written over the same time (one a rank: `log`, `log.0`, `log.1`)
    are no rotation: a rotated file ends before the next newer one begins."""
    rotated: dict[str, list[tuple[tuple[int, str], str]]] = {}  # base -> (its age's sort key, file)
    for name in logs:
        m = _DATED.match(name)
        if m and m.group(1) in logs:  # older the earlier its date
            rotated.setdefault(m.group(1), []).append(((0, m.group(2)), name))
        m = _ROTATED.match(name)
        if m and m.group(1) in logs:  # older the higher its number
            rotated.setdefault(m.group(1), []).append(((1, f"{999 - int(m.group(2)):03d}"), name))
    out: dict[str, tuple[str, ...]] = {}
    for base, files in rotated.items():
        names = tuple(f for _, f in sorted(files)) + (base,)
        if _in_turn(names, logs):
            out[base] = names
    return out


def _in_turn(names: tuple[str, ...], logs: Logs) -> bool:
    """Whether the files' timed lines follow one another: each file begins no earlier than the one
    before it ended (files with no timed line are taken on their numbers)."""
    previous_end = None
    for f in names:
        times = [x.time for x in logs[f] if x.time is not None]
        if not times:
            continue
        if previous_end is not None and min(times) < previous_end:
            return False
        previous_end = max(times)
    return True


def file_sessions(parts: tuple[str, ...], logs: Logs) -> set[int]:
    """Indexes (in the joined lines) where a file of a series opens a session of its own: each
    one after the first, unless it carries straight on from the one before (a log rotated while
    one process wrote it: its first line within ROTATION_S of the last one's), or the series is a
    log's rotations (rolled over when a file grew too big or a day ended, not at restarts:
    its lines tell the sessions)."""
    opened, at, previous_end = set(), 0, None
    rotation = len(parts) > 1 and rotated_series({f: logs[f] for f in parts}).get(parts[-1]) == parts
    for n, f in enumerate(parts):
        lines = logs[f]
        first = next((x.time for x in lines if x.time is not None), None)
        carries_on = rotation or (previous_end is not None and first is not None
                                  and 0 <= first - previous_end < ROTATION_S)
        if n and not carries_on:
            opened.add(at)
        at += len(lines)
        previous_end = next((x.time for x in reversed(lines) if x.time is not None), previous_end)
    return opened


def primary_stream(streams: dict[str, tuple[str, ...]], logs: Logs, per_step: Callable[[str], bool],
                   start: Callable[[str], bool], work: Callable[[str], bool]) -> str:
    """The stream (its key in `streams`) that tells the run's sessions."""
    counted = {f: sum(per_step(x.text) for x in lines) for f, lines in logs.items()}

    def tells(parts: tuple[str, ...]) -> bool:
        texts = [x.text for f in parts for x in logs[f]]
        return any(start(t) for t in texts) and any(work(t) for t in texts)

    return max(streams, key=lambda n: (tells(streams[n]), sum(counted[f] for f in streams[n])
                                       + sum(len(logs[f]) for f in streams[n]) / 1e6, n))
