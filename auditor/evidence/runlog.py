"""A foreign run as its logs tell it: lines with times, sessions, saves, resumes and per-step lines.

Other teams' trainers keep no events file; what happened is in their console log (often one
file appended to by every attempt, `... | tee -a train.log`), in side files (a heartbeat log,
a status file) and in their checkpoints. This module reads the log lines and finds:

- **sessions**: a run is split at each restart. A line opens a session when it is the log's
  first line; a start or command line (`Command line: ...`, `argv: ...`, `start pid=...`)
  whose process id differs from the current session's; a command line after other lines of a
  session that already recorded one (a process records its command once); or, once the current session has done
  work (a per-step line, a save, a metric), a start line, a repeat of the log's first line
  (`Overriding config with ...`), or a resume line.
- **commands and explicit resumes**: each session's recorded command line, and whether it (or
  an override printed before training, `Overriding: init_from = resume`) asked for a resume,
  so an explicit resume is told apart from an automatic one.
- **saves**: lines that say a checkpoint was written (`saving checkpoint to out`, `Saving
  model checkpoint to out/checkpoint-20`, `saved runs/x/ckpt_0191.pt reason=timer`,
  `persisted state-000323.pt`, ...); the several lines of one save (Accelerate and
  transformers log each file) count once; the save that ends training (its line says final or
  end of training, it writes the run folder itself, or only the end line follows it) is kept
  apart from the periodic ones.
- **per-step lines** in common formats: `iter 20: loss ...`, `step=5 epoch=0 loss=...`,
  `[date] it 20 | loss ...`, transformers' `{'loss': ...}` dicts, JSON lines; evaluation lines
  (`val loss`, `eval_loss`, `--- eval at ...`) are not per-step lines.

Nothing here opens a file except `read_log`, which reads through auditor.safeio.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from auditor import rxcache, safeio
from auditor.evidence.launches import launch_banners
from auditor.evidence.runcommands import command_of, resume_option
from auditor.evidence.runstreams import file_sessions, primary_stream, session_series
from auditor.evidence.steplines import LOSS as _LOSS
from auditor.evidence.steplines import LINE_CACHE
from auditor.evidence.steplines import STEP as _STEP
from auditor.evidence.steplines import is_batch_line  # noqa: F401 (part of this module's interface)
from auditor.evidence.steplines import line_shape
from auditor.evidence.timestamps import LineClock, carry_blank_times, clock_seconds, month_day_year

MAX_TEXT_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024
BANNER_S = 60  # a restarted process prints its banner within this many seconds of its resume line

_START = rxcache.compile(r"\b(start(?:ing|ed)?\s+(?:the\s+)?(?:training|run)\b|training\s+start(?:s|ed)?\b)", re.I)
_PID = rxcache.compile(r"\bpid\b\W{0,3}(\d+)", re.I)
# a setting printed before training that asks for a resume (`Overriding: init_from = resume`)
# (a boolean names no checkpoint: `resume = True` may be the standing default, so it does not say
# that this restart was asked to resume; a path or `init_from = resume` does)
_RESUME_SETTING = rxcache.compile(r"\b(init_from|resume_from\w*|resume|ckpt_path|load_from)['\"]?\s*[=:]\s*['\"]?"
                             r"(?!None\b|null\b|False\b|True\b|yes\b|no\b|scratch\b|last\b|auto\b|latest\b|''|\"\"|,|"
                             r"\s*$)([^\s,'\"]+)", re.I)
# (a checkpoint file restored, or something loaded and a step continued past 0: `restored
# ckpt/ckpt-000865.pt, continuing at step 865`; not `evaluation done, continuing at step 2000` mid-run, nor
# `saved checkpoint ckpt_200.pt, continuing at step 200`)
_RESUMED = rxcache.compile(r"\bresum(?:ed|ing)\b|"
                      # detectron2's `Starting training from iteration 240` (from 0 on a first start)
                      r"\bstart(?:ing|ed)?\s+training\s+from\s+(?:iteration|iter|step|epoch)\s*[=:#]?\s*0*(?:[2-9]|[1-9]\d+)\b|"
                      r"\b(?:continu(?:ing|ed)|continues|will continue) from\b|"
                      r"\b(?:restor|re-?load|load)(?:ed|ing)\b.{0,80}?"
                      r"\bcontinu(?:ing|ed|es)\s+(?:at|from)\s+(?:step|iter(?:ation)?|epoch)\s*[=:#]?\s*0*[1-9]|"
                      r"\brestor(?:ing|ed)\b.{0,40}\b(?:checkpoints?|states?|snapshot|weights)\b|"
                      r"\brestor(?:ing|ed)\s+(?:from\s+)?['\"]?[\w./\\-]+\.(?:pt|pth|ckpt|safetensors|tar)\b|"
                      r"\bloading states from\b|\bloaded (?:the )?checkpoint\b", re.I)
_NOT_RESUMED = rxcache.compile(r"\bno (?:checkpoint|snapshot|state|last checkpoint)\b|\bfrom scratch\b|"
                          r"\bnothing to resume\b|\bwill not be loaded\b", re.I)
_RESUME_TARGET = rxcache.compile(r"""(?:from|at|checkpoint|path)\s+['"]?([^\s'",()]+(?:\.(?:pt|pth|ckpt|bin|safetensors)"""
                            r"""|checkpoint[-_]\d+|/[^\s'",()]*))""", re.I)
_END = {
    "finished": rxcache.compile(r"\b(training|run)\s+(finished|complete[d]?|done)\b|\bfinished\s+training\b|"
                           r"(?<!\d )\bfinished\s+at step\b|"  # not an epoch's end, `epoch 4 finished at step 1280`
                           r"^\W*done\b|\bdone\s*(?:at\b|:)|\btrain_runtime\b|\bmax_epochs=\d+` reached", re.I),
    "preempted": rxcache.compile(r"\b(preempt(?:ed|ion)?|SIGTERM|SIGINT|time limit reached)\b", re.I),
    "failed": rxcache.compile(r"\b(Traceback \(most recent call last\)|training failed|fatal error)\b", re.I),
    # a launcher reporting a worker killed by SIGKILL (`exitcode: -9`), or a shell's `Killed`
    "killed": rxcache.compile(r"\bexit\s*code:?\s*-9\b|\bSIGKILL\b|^\W*Killed\b", re.I),
}
_SAVE_VERB = rxcache.compile(r"\b(?:sav(?:e|ed|ing)|persist(?:ed|ing)?|wr(?:ote|itten|iting)|stor(?:ed|ing))\b", re.I)
_NOT_SAVE = rxcache.compile(r"\b(?:load(?:ed|ing)?|restor(?:ed|ing)|remov(?:e|ed|ing)|delet(?:e|ed|ing)|skipp(?:ed|ing)|"
                       r"could not|failed to|every)\b", re.I)
_CKPT_PATH = rxcache.compile(r"""['"]?([\w./-]*(?:\.(?:pt|pth|ckpt|safetensors|bin|pkl)\b|checkpoint[-_]\d+[\w./-]*|"""
                        r"""(?<![\w-])(?:step|global_step|epoch|iter|ckpt)[-_]?\d+(?=[\s)'",;]|$)))""")
# `checkpoint [timer] step 988 -> /scratch/ckpt/step_0000988.pt`: a save that names no verb, only where it went
_ARROW_SAVE = rxcache.compile(r"\b(?:checkpoint|ckpt|snapshot)s?\b.{0,60}?(?:->|=>|\u2192)\s*['\"]?([\w./-]+)", re.I)
# `INFO trainer: checkpoint runs/x/checkpoints/step_000100`: a message that is the noun and a numbered path
# (or ends with them: `finished at step 110000, final snapshot runs/x/ckpt_0110000.npz`)
# (a short bracketed tag may say why between them: `checkpoint [timer] checkpoints/step_001653.pt`)
_NOUN_SAVE = rxcache.compile(r"(?:^|[:\]|]\s+|\bfinal\s+)(?:checkpoint|ckpt|snapshot)(?:\s*[\[(][\w .:-]{1,24}[\])])?\s*:?\s+['\"]?"
                        r"([\w./-]*?(?:step|global_step|epoch|iter|ckpt|checkpoint)[-_=]?\d+(?:\.\w+)?)['\"]?"
                        r"\s*(?:\([^)]*\))?\s*$", re.I)
# a save a signal asked for (the scheduler's warning before a time limit, a preemption): not a periodic one
_SIGNALLED = rxcache.compile(r"\bSIG(?:USR[12]|TERM|INT|HUP|CONT|QUIT)\b|\bpreempt|\bsignal(?:l?ed)?\b|"
                        r"\btime limit\b", re.I)
_SAVE_TO = rxcache.compile(r"\b(?:checkpoint|model|state|snapshot|weights)s?\s+(?:to|in|at)\s+['\"]?([\w./-]+)", re.I)
_EPOCH = rxcache.compile(r"\bepoch\b\s*[=:#]?\s*(\d+)\b", re.I)
_ITER_TIME = rxcache.compile(r"\btime\s+(\d+(?:\.\d+)?)\s*ms\b|\bdt\s*[=:]\s*(\d+(?:\.\d+)?)\s*s\b", re.I)


@dataclass(frozen=True)
class LogLine:
    """One line of a log, with the time read from it when it has one."""

    file: str  # as cited: relative to the run directory (or the project, for a log outside it)
    line: int
    time: float | None
    text: str


@dataclass(frozen=True)
class LoggedSave:
    """One checkpoint save a log line records."""

    time: float | None
    file: str
    line: int
    target: str  # the path the line names
    kind: str  # periodic | final | best | preempt
    step: int | None = None
    epoch: int | None = None
    placed: bool = False  # final by where it stands (only the run's end follows), not by what the line says

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class LogSession:
    """One process lifetime, as the primary log shows it."""

    first: int  # index of its first line in the primary log
    last: int  # index of its last line
    start: float | None
    end: float | None
    start_source: str
    end_source: str
    ended: str  # finished | preempted | failed | killed | open
    pid: str = ""
    command: str = ""
    command_source: str = ""
    explicit_resume: str = ""  # the option or setting that asked for the resume, as written
    explicit_source: str = ""
    resumed_from: str = ""
    resume_time: float | None = None
    resume_source: str = ""
    from_scratch: bool = False


@dataclass(frozen=True)
class BatchLines:
    """The per-step lines of one log or metrics file: how many, the line of the first and an example."""

    file: str = ""
    lines: int = 0
    first_line: int | None = None
    example: str = ""


@dataclass
class RunLog:
    """What the logs of one foreign run say."""

    lines: list[LogLine] = field(default_factory=list)  # the primary log's lines, in file order
    primary: str = ""
    parts: tuple[str, ...] = ()  # the files the primary log is: itself, or one file a session, in time order
    sessions: tuple[LogSession, ...] = ()
    saves: tuple[LoggedSave, ...] = ()
    batch: BatchLines = field(default_factory=BatchLines)
    step_seconds: float | None = None
    step_seconds_source: str = ""
    epoch_seconds: float | None = None
    _where: dict[tuple[str, int], int] = field(default_factory=dict, repr=False, compare=False)

    def index_of(self, file: str, line: int) -> int | None:
        """Where a line of the primary log (any of its parts) sits in `lines`, or None."""
        if len(self._where) != len(self.lines):
            self._where = _positions(self.lines)
        return self._where.get((file, line))


def _positions(lines: list[LogLine]) -> dict[tuple[str, int], int]:
    return {(x.file, x.line): i for i, x in enumerate(lines)}


# --------------------------------------------------------------------------- reading


_DATE_IN_NAME = rxcache.compile(r"(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])-?([0-3]\d)(?!\d)")


def read_log(path: Path, within: safeio.Root, shown: str) -> list[LogLine]:
    """Every line of one log with its time (bare clock times take the last full date seen; a month/day
    stamp without a year, the year of the last full date seen, else of the file's name, else of its mtime).

    A log whose lines carry clock times only (`[18:51:01] saved ...`) and no date at all is
    dated by its modification time: its last line was written then. Gaps between its lines hold
    whatever the date; a copy or checkout that reset the mtime moves only the day."""
    text = list(safeio.lines(path, within=within, cap=MAX_TEXT_BYTES, line_cap=MAX_LINE_CHARS, shown=shown))
    named = _DATE_IN_NAME.search(shown)
    clock = LineClock(year=int(named.group(1)) if named else
                      month_day_year([x for _, x in text], lambda: safeio.stat_file(path, within, shown).st_mtime))
    times = [clock.time_of(line) for _, line in text]
    if not any(t is not None for t in times) and any(clock_seconds(line) is not None for _, line in text):
        times = _dated_by_mtime(text, safeio.stat_file(path, within, shown).st_mtime)
    times = carry_blank_times([line for _, line in text], times)  # rich's blank time column
    return [LogLine(shown, number, t, line) for (number, line), t in zip(text, times)]


MTIME_SLACK_S = 120  # a clock time this far after the file's mtime is still that day's (clocks differ)


def _dated_by_mtime(text: list[tuple[int, str]], mtime: float) -> list[float | None]:
    """Clock-only lines' times on the day that puts the last of them at or just before `mtime`."""
    clock = LineClock(day=0.0)
    times = [clock.time_of(line) for _, line in text]
    last = next(t for t in reversed(times) if t is not None)
    latest = mtime + MTIME_SLACK_S
    shift = latest - (latest - last) % 86400 - last
    return [t + shift if t is not None else None for t in times]


# --------------------------------------------------------------------------- recognising lines


def _is_metric_line(text: str) -> bool:
    return bool(_LOSS.search(text)) or bool(re.search(r"\b(?:acc|accuracy|ppl)\b\s*[=:]", text, re.I))


_REFUSED = rxcache.compile(r"\b(?:not|no|without|skip(?:ping|ped)?|won't|will not|cannot|can't)\s+(?:be\s+)?(?:resum|restor|load|"
                      r"continu)",
                      re.I)


@functools.lru_cache(maxsize=LINE_CACHE)
def resume_line(text: str) -> bool:
    positive = _RESUMED.search(text)
    if not positive or _REFUSED.search(text):
        return False
    negative = _NOT_RESUMED.search(text)
    return negative is None or negative.start() > positive.start()


_SAVE_WORDS = ("sav", "persist", "wr", "stor", "checkpoint", "ckpt", "snapshot")


def _save_target(text: str) -> str | None:
    """Where a log line says a checkpoint was saved, or None. Every save pattern's match holds one of
    _SAVE_WORDS: an ASCII line with none (most lines) is not searched (re.I folds non-ASCII letters)."""
    if text.isascii() and not any(word in text.lower() for word in _SAVE_WORDS):
        return None
    return _save_target_searched(text)


@functools.lru_cache(maxsize=LINE_CACHE)
def _save_target_searched(text: str) -> str | None:
    if "heartbeat" in text.lower():
        return None
    verb = _SAVE_VERB.search(text)
    if verb is None:
        arrow = _ARROW_SAVE.search(text) or _NOUN_SAVE.search(text)
        read = arrow and (_NOT_SAVE.search(text[:arrow.start(1)]) or resume_line(text[:arrow.start(1)]))
        return arrow.group(1).rstrip(".,") if arrow and not read else None
    negative = _NOT_SAVE.search(text)
    if negative is not None and negative.start() < verb.start():
        return None
    m = _SAVE_TO.search(text)
    if m:
        return m.group(1).rstrip(".,")
    m = _CKPT_PATH.search(text[verb.start():]) or _CKPT_PATH.search(text)
    return m.group(1).rstrip(".,") if m and m.group(1) else None


def _save_kind(text: str, target: str, run_name: str) -> str:
    low = text.lower()
    name = target.rstrip("/").rsplit("/", 1)[-1].lower()
    if "best" in name or re.search(r"\bbest\b", low):
        return "best"
    if _SIGNALLED.search(text):
        return "preempt"
    # the save that ends training, or a session's time slot (`(end of session slot)`): not periodic
    if re.search(r"\bfinal\b|end of (?:the )?(?:training|session|slot|job|run)\b|reason=final", low) \
            or "final" in target.lower():
        return "final"
    return "periodic"


def _same_save(a: LoggedSave, b_target: str, b_line: int) -> bool:
    """Several lines of one save (each file of a checkpoint folder logged on its own)."""
    if b_line - a.line > 12:
        return False
    folder = re.match(r"(.*?checkpoint[-_]\d+)", a.target)
    other = re.match(r"(.*?checkpoint[-_]\d+)", b_target)
    if folder and other:
        return folder.group(1) == other.group(1)
    return b_target.startswith(a.target.rstrip("/") + "/")


# --------------------------------------------------------------------------- the whole log


def analyse(logs: dict[str, list[LogLine]], run_name: str, final_files: tuple[str, ...] = (),
            launches: int = 0) -> RunLog:
    """Sessions, saves, per-step lines and step times of a foreign run's logs (file -> lines).

    `final_files`: names of end-of-training checkpoint files on disk (final.pt, last.ckpt);
    when one is there that no save line names, the last logged save is not taken for the end save.
    `launches`: how many launches the run's folders show (Lightning's version_N/); a log they all
    appended to whose first line recurs exactly once a launch opens a session at each.
    """
    out = RunLog()
    if not logs:
        return out
    streams = session_series(logs)
    out.primary = primary_stream(streams, logs, is_batch_line, _tells_a_start,
                                 lambda text: is_batch_line(text) or _save_target(text) is not None)
    out.parts = streams[out.primary]
    out.lines = [x for f in out.parts for x in logs[f]]
    saves = [s for f in sorted(logs) for s in _saves(logs[f], run_name)]
    opened = file_sessions(out.parts, logs) | launch_banners([x.text for x in out.lines], launches)
    out.sessions = _sessions(out.lines, [s for s in saves if s.file in out.parts], opened)
    named = {s.target.rstrip("/").rsplit("/", 1)[-1] for s in saves}
    unlogged_final = any(name not in named for name in final_files)
    out.saves = tuple(saves if unlogged_final else _mark_final(saves, out.lines, out.sessions, run_name))
    out.batch = _batch_lines(logs)
    out.step_seconds, out.step_seconds_source = _step_seconds(out.lines, out.sessions)
    out.epoch_seconds = _epoch_seconds(out.lines, out.sessions, out.saves)
    return out


def _tells_a_start(text: str) -> bool:
    return command_of(text) is not None or bool(_START.search(text))


def _saves(lines: list[LogLine], run_name: str) -> list[LoggedSave]:
    out: list[LoggedSave] = []
    step = None
    told = ""  # the last save line's text
    for x in lines:
        m = _STEP.search(x.text)
        if m:
            step = int(m.group(1))
        target = _save_target(x.text)
        if target is None:
            continue
        if out and (_same_save(out[-1], target, x.line) or _told_twice(out[-1], told, target, x)):
            continue
        told = x.text
        named_step = re.search(r"(?:checkpoint|step|ckpt|state|iter)[-_=]?0*(\d+)", target, re.I)
        epoch = _EPOCH.search(x.text)
        out.append(LoggedSave(x.time, x.file, x.line, target, _save_kind(x.text, target, run_name),
                              int(named_step.group(1)) if named_step else step,
                              int(epoch.group(1)) if epoch else None))
    return out


def _told_twice(last: LoggedSave, told: str, target: str, x: LogLine) -> bool:
    """`saving model to X` then, a line or two on, `finished saving model to X`: one save told twice
    (the same line again is a second save of a file overwritten in place)."""
    return target == last.target and x.line - last.line <= 3 and line_shape(x.text) != line_shape(told)


def _usable_shape(lines: list[LogLine]) -> str | None:
    """The first line's shape, when it is a banner (not a per-step line) that recurs rarely."""
    if not lines or is_batch_line(lines[0].text) or not lines[0].text.strip():
        return None
    sig = line_shape(lines[0].text)
    repeats = sum(1 for x in lines if line_shape(x.text) == sig)
    return sig if repeats <= max(10, len(lines) // 50) else None


def _session_starts(lines: list[LogLine], save_lines: set[tuple[str, int]],
                    opened: frozenset[int] | set[int]) -> tuple[list[int], list[str]]:
    """Indexes where sessions start, and each one's process id (when a start line names one)."""
    signature = _usable_shape(lines)
    starts: list[int] = [0]
    pids: list[str] = [""]
    work = [is_batch_line(x.text) or (x.file, x.line) in save_lines or _is_metric_line(x.text) for x in lines]
    worked = False
    told = None  # where the current session recorded its command line
    for i, x in enumerate(lines):
        text = x.text
        command = command_of(text) is not None
        pid_m = _PID.search(text) if (command or _START.search(text)) else None
        pid = pid_m.group(1) if pid_m else ""
        if i > 0:
            # a process records its command line once: another one, after other lines, is another start
            again = command and told is not None and i - told > 1 and not _command_lines(lines, told, i)
            strong = bool(pid and pids[-1] and pid != pids[-1]) or i in opened or again
            opener = bool(_START.search(text) or command_of(text) is not None
                          or (signature is not None and line_shape(text) == signature))
            if strong or (worked and (opener or resume_line(text))):
                first = i if strong or opener else _banner_start(lines, work, starts[-1], i)
                starts.append(first)
                pids.append("")
                worked = any(work[first:i])
                told = None
        if pid and not pids[-1]:
            pids[-1] = pid
        if command and told is None:
            told = i
        worked = worked or work[i]
    return starts, pids


def _command_lines(lines: list[LogLine], told: int, at: int) -> bool:
    """Whether every line between two recorded command lines is a command line too (one start
    recording its command twice: `Command: ...`, `argv=[...]`)."""
    return all(command_of(x.text) is not None or not x.text.strip() for x in lines[told + 1:at])


def _banner_start(lines: list[LogLine], work: list[bool], floor: int, at: int) -> int:
    """Where a session that a resume line reveals really began: the lines a restarted process
    printed before it (its configuration, `Resume from a checkpoint: ...`), none of them work or
    an end line, all within a minute of the resume line."""
    first = at
    when = lines[at].time
    for j in range(at - 1, floor, -1):
        x = lines[j]
        if work[j] or any(rx.search(x.text) for rx in _END.values()):
            break
        if when is not None and x.time is not None and when - x.time > BANNER_S:
            break
        first = j
    return first


def _sessions(lines: list[LogLine], saves: list[LoggedSave],
              opened: frozenset[int] | set[int] = frozenset()) -> tuple[LogSession, ...]:
    """Split the primary log at restarts; `opened`: indexes where a new file of a series begins."""
    if not lines:
        return ()
    starts, pids = _session_starts(lines, {(s.file, s.line) for s in saves}, opened)
    out: list[LogSession] = []
    saved_before = False
    where = _positions(lines)
    for n, first in enumerate(starts):
        last = (starts[n + 1] - 1) if n + 1 < len(starts) else len(lines) - 1
        session = _one_session(lines, first, last, following=n + 1 < len(starts), pid=pids[n])
        if n > 0 and saved_before and not session.resumed_from:
            session = replace(session, from_scratch=True)
        saved_before = saved_before or any(first <= where.get((s.file, s.line), -1) <= last for s in saves)
        out.append(session)
    return tuple(out)


def _one_session(lines: list[LogLine], first: int, last: int, following: bool, pid: str) -> LogSession:
    part = lines[first:last + 1]
    timed = [x for x in part if x.time is not None]
    start, end = (timed[0].time, timed[-1].time) if timed else (None, None)
    ended = "killed" if following else "open"
    end_source = f"{part[-1].file}:{part[-1].line}"
    for x in reversed(part[-5:]):
        kind = next((k for k, rx in _END.items() if rx.search(x.text)), None)
        if kind:
            ended, end_source = kind, f"{x.file}:{x.line}"
            break
    command = command_source = explicit = explicit_source = resumed = resume_source = ""
    resume_time = None
    before_work = True
    for x in part:
        found = command_of(x.text)
        if found is not None and not command:
            command, command_source = found, f"{x.file}:{x.line}"
            option = resume_option(found)
            if option:
                explicit, explicit_source = option, command_source
        if before_work and not explicit:
            setting = _RESUME_SETTING.search(x.text)
            if setting and not resume_line(x.text) and not is_batch_line(x.text):
                explicit, explicit_source = re.sub(r"['\"]", "", setting.group(0)).strip(), f"{x.file}:{x.line}"
        if not resumed and resume_line(x.text):
            target = _CKPT_PATH.search(x.text) or _RESUME_TARGET.search(x.text)
            resumed = target.group(1) if target else x.text.strip()[:120]
            resume_source, resume_time = f"{x.file}:{x.line}", x.time
        if is_batch_line(x.text):
            before_work = False
    return LogSession(first=first, last=last, start=start, end=end, start_source=f"{part[0].file}:{part[0].line}",
                      end_source=end_source, ended=ended, pid=pid, command=command, command_source=command_source,
                      explicit_resume=explicit, explicit_source=explicit_source, resumed_from=resumed,
                      resume_time=resume_time, resume_source=resume_source)


def _mark_final(saves: list[LoggedSave], lines: list[LogLine], sessions: tuple[LogSession, ...],
                run_name: str) -> list[LoggedSave]:
    """The end-of-training save: the last save when it writes the run folder itself (the trained
    model, as transformers' save_model does), or when only the end of a finished run follows it."""
    where = _positions(lines)
    last = max((s for s in saves if (s.file, s.line) in where), key=lambda s: where[(s.file, s.line)], default=None)
    if last is not None and last.kind == "periodic" and run_name \
            and last.target.rstrip("/").rsplit("/", 1)[-1].lower() == run_name.lower():
        return [replace(s, kind="final", placed=True) if s is last else s for s in saves]
    if not saves or not sessions or sessions[-1].ended != "finished":
        return saves
    if last is None or last.kind != "periodic":
        return saves
    after = lines[where[(last.file, last.line)] + 1:]
    if any(is_batch_line(x.text) for x in after) or len(after) > 8:
        return saves
    return [replace(s, kind="final", placed=True) if s is last else s for s in saves]


# --------------------------------------------------------------------------- per-step lines and step times


def _batch_lines(logs: dict[str, list[LogLine]]) -> BatchLines:
    best = BatchLines()
    for name in sorted(logs):
        count, first, example = 0, None, ""
        for x in logs[name]:
            if is_batch_line(x.text):
                count += 1
                if first is None:
                    first, example = x.line, x.text.strip()[:200]
        if count > best.lines:
            best = BatchLines(name, count, first, example)
    return best


def _session_of(sessions: tuple[LogSession, ...], index: int) -> int:
    return next((n for n, s in enumerate(sessions) if s.first <= index <= s.last), 0)


def _step_seconds(lines: list[LogLine], sessions: tuple[LogSession, ...]) -> tuple[float | None, str]:
    """Seconds per step: from timed lines with step numbers within a session, else from logged iteration times."""
    rates: list[float] = []
    previous: tuple[int, float, int] | None = None  # (session, time, step)
    for i, x in enumerate(lines):
        m = _STEP.search(x.text)
        if m is None or x.time is None or not is_batch_line(x.text):
            continue
        here = (_session_of(sessions, i), x.time, int(m.group(1)))
        if previous and previous[0] == here[0] and here[2] > previous[2] and here[1] >= previous[1]:
            rates.append((here[1] - previous[1]) / (here[2] - previous[2]))
        previous = here
    if len(rates) >= 2:
        return round(median(rates), 4), "timed per-step lines"
    logged = [float(m.group(1)) / 1000 if m.group(1) else float(m.group(2))
              for x in lines if (m := _ITER_TIME.search(x.text)) and is_batch_line(x.text)]
    if len(logged) >= 3:
        return round(median(logged), 4), "iteration times printed in the log"
    return None, ""


def _epoch_seconds(lines: list[LogLine], sessions: tuple[LogSession, ...], saves: tuple[LoggedSave, ...]) -> float | None:
    """Seconds per epoch: from timed saves or lines that name their epoch, within a session."""
    points = [(s.time, s.epoch) for s in saves if s.time is not None and s.epoch is not None]
    if len(points) < 2:
        points = []
        seen: set[tuple[int, int]] = set()
        for i, x in enumerate(lines):
            m = _EPOCH.search(x.text)
            if m and x.time is not None and (key := (_session_of(sessions, i), int(m.group(1)))) not in seen:
                seen.add(key)
                points.append((x.time, int(m.group(1))))
    points.sort()
    rates = [(t1 - t0) / (e1 - e0) for (t0, e0), (t1, e1) in zip(points, points[1:]) if e1 > e0 and t1 > t0]
    return round(median(rates), 3) if rates else None


def session_index(sessions: tuple[LogSession, ...], t: float | None) -> int | None:
    """The session a time falls in (the last one started at or before it)."""
    if t is None:
        return None
    index = None
    for n, s in enumerate(sessions):
        if s.start is not None and s.start <= t + 1e-6:
            index = n
    return index if index is not None else (0 if sessions else None)


def median(values: list[float]) -> float:
    """statistics.median: of gaps, rates, times per step."""
    import statistics  # here: with its own imports (random, decimal, fractions), only where a run is timed

    return statistics.median(values)
