"""The facts run evidence is made of: checkpoints on disk, save gaps, events, progress,
batch lines, a drill's result, and `RunEvidence` that holds them for one run directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # their readers are imported only where a run is read: an audit with no run loads neither
    from auditor.evidence.history import RunHistory
    from auditor.evidence.runlog import RunLog


def _no_log() -> RunLog:
    from auditor.evidence.runlog import RunLog

    return RunLog()


def _no_history() -> RunHistory:
    from auditor.evidence.history import RunHistory

    return RunHistory()

@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint found in a run directory: its file, kind, status, and the epoch, step and time of the save."""

    file: str  # relative to the run directory
    kind: str  # periodic | best | final | preempt | other
    status: str  # valid | corrupt | incomplete | in_progress | readable | unreadable
    epoch: int | None
    step: int | None
    time: float | None
    time_source: str  # manifest | pickle | mtime
    size_bytes: int
    manifest: str | None = None  # relative path of its manifest (ours)
    note: str = ""

    @property
    def usable(self) -> bool:
        return self.status in ("valid", "readable")


@dataclass(frozen=True)
class Gaps:
    """Measured intervals between periodic saves, within each session of the run."""

    count: int = 0  # saves measured
    gaps_s: tuple[float, ...] = ()
    largest_s: float | None = None
    median_s: float | None = None
    smallest_s: float | None = None
    first_delay_s: float | None = None  # from the start of a session to its first save (largest over sessions)
    source: str = ""
    largest_between: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class EventRef:
    """A line of events.jsonl or a log, as evidence."""

    file: str
    line: int
    ts: float | None
    detail: str = ""
    mode: str = ""  # resume mode of the run_start before a resumed_from


@dataclass(frozen=True)
class Progress:
    """The run's progress file as judged: its state, when it was last updated, and how often it was refreshed."""

    exists: bool = False
    file: str = ""  # the progress file judged (progress.json preferred)
    files: tuple[str, ...] = ()
    state: str | None = None
    updated_time: float | None = None
    heartbeat_time: float | None = None
    cadence_s: float | None = None  # largest interval between refreshes, within sessions
    median_s: float | None = None
    cadence_source: str = ""
    samples: int = 0
    line: int | None = None  # the line of the progress file its update time was read from


@dataclass(frozen=True)
class BatchLog:
    """The run's best source of per-batch lines: how many, the first one and an example, and every log read."""

    file: str = ""
    lines: int = 0
    first_line: int | None = None
    example: str = ""
    logs_read: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drill:
    """An `audit drill` result (audit-drill/1, docs/drill.md): kills, restarts, what resumed."""

    file: str  # where it was read (relative to the project, or to the run directory)
    verdict: str  # pass | fail
    checks: dict[str, str]  # check id -> pass | fail | skip
    kills: int
    started_at: str
    evidence: tuple[str, ...] = ()  # the resumed_from_newest check's lines

    def check(self, name: str) -> str | None:
        return self.checks.get(name)


@dataclass
class RunEvidence:
    """Everything read from one run directory: checkpoints, sessions, gaps, heartbeats, progress, logs and drill."""

    run_dir: Path | None
    found: bool = False
    layout: str = "none"  # ours | foreign | none
    checkpoints: tuple[Checkpoint, ...] = ()
    sessions: tuple[EventRef, ...] = ()  # run_start events (ours) or each session's first log line (foreign)
    start_time: float | None = None
    end_time: float | None = None
    gaps: Gaps = field(default_factory=Gaps)
    saves_recorded: int = 0  # periodic saves known (events, or save lines in a foreign log)
    epoch_seconds: float | None = None
    step_seconds: float | None = None  # measured seconds per training step
    step_seconds_source: str = ""
    restarts: int = 0  # sessions after the first
    log: RunLog = field(default_factory=_no_log)  # a foreign run's logs: sessions, saves, commands
    resumes: tuple[EventRef, ...] = ()
    restarts_from_scratch: tuple[EventRef, ...] = ()
    heartbeats: tuple[EventRef, ...] = ()
    heartbeat_gaps: Gaps = field(default_factory=Gaps)
    progress: Progress = field(default_factory=Progress)
    batch_log: BatchLog = field(default_factory=BatchLog)
    events_file: str | None = None
    errors: tuple[str, ...] = ()
    verified: bool = False
    drill: Drill | None = None
    history: RunHistory = field(default_factory=_no_history)  # the run in time, for the timeline and curves

    def periodic(self) -> list[Checkpoint]:
        return [c for c in self.checkpoints if c.kind == "periodic" and c.usable]
