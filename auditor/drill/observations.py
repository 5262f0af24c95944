"""What a drill observed, as frozen records the checks judge: checkpoints on disk, kills,
sessions, the final comparison, and each check's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VALID, UNVERIFIED, UNCOMMITTED, CORRUPT = "valid", "unverified", "uncommitted", "corrupt"
RANDOM, DURING_WRITE = "random", "during-write"


def position_text(unit: str, value: int | None) -> str:
    return f"{unit} {value}" if value is not None else f"{unit} ?"

@dataclass(frozen=True)
class DiskCheckpoint:
    """A checkpoint file as it was on disk right after a kill."""

    file: str
    """path relative to the run directory"""
    position: int | None
    """step from its manifest, else the number in its name"""
    status: str
    """valid (manifest verified), unverified (no manifest, format intact), uncommitted (manifest
    missing in a run that writes them: a save that did not finish) or corrupt"""
    reason: str
    """why that status"""
    kind: str | None = None
    """manifest kind (periodic, best, final, preempt), None without manifest"""
    size_bytes: int = 0
    sha256: str | None = None

    @property
    def name(self) -> str:
        return Path(self.file).name

    @property
    def resumable(self) -> bool:
        """Could a correct trainer resume from it: intact, and not a foreign best-model copy.

        A checkpoint with a manifest (our format) holds the complete training state whatever
        its kind, best included; a foreign best-model file may hold weights only.
        """
        if self.status not in (VALID, UNVERIFIED):
            return False
        return self.kind is not None or not self.name.startswith("best")


@dataclass(frozen=True)
class Kill:
    """One SIGKILL and what it left on disk."""

    index: int
    """1-based"""
    mode: str
    """random or during-write (aimed at a checkpoint write in progress)"""
    t_s: float
    """seconds since the drill started"""
    at: str
    """ISO 8601 UTC"""
    position: int | None
    """the furthest step (or epoch) the trainer had reported"""
    during_write: bool
    """a checkpoint write was in progress when the kill landed"""
    in_progress: tuple[str, ...]
    """temp or growing files seen at the kill"""
    on_disk: tuple[DiskCheckpoint, ...]

    def newest_valid(self) -> DiskCheckpoint | None:
        """The checkpoint a correct trainer resumes from: the furthest resumable one."""
        candidates = [c for c in self.on_disk if c.resumable]
        if not candidates:
            return None
        return max(candidates, key=lambda c: (c.position if c.position is not None else -1, c.kind == "final"))

    def find(self, name: str) -> DiskCheckpoint | None:
        return next((c for c in self.on_disk if c.name == Path(name).name), None)


@dataclass(frozen=True)
class Session:
    """One run of the training command: session 0 is the first start, session k follows kill k."""

    index: int
    exit_code: int | None
    """the process's exit code (negative: killed by that signal); None when it never ended"""
    killed: bool
    """ended by the drill's SIGKILL"""
    resumed_file: str | None
    """the checkpoint it says it resumed from (events.jsonl `resumed_from`, or a `resuming from` line)"""
    resumed_position: int | None
    resume_evidence: str
    """events.jsonl, stdout, or empty"""
    started_fresh: bool | None
    """events.jsonl shows run_start without resumed_from; None without an events log"""
    first_position: int | None
    """the first step (or epoch) it reported"""
    first_checkpoint: DiskCheckpoint | None
    """the first checkpoint file it wrote (status not judged)"""
    output_tail: str


@dataclass(frozen=True)
class FinalComparison:
    """The drilled run's final checkpoint against an uninterrupted run's."""

    equal: bool
    detail: str
    drill_file: str | None = None
    reference_file: str | None = None


@dataclass(frozen=True)
class Observations:
    """Everything the checks judge."""

    kills: tuple[Kill, ...]
    sessions: tuple[Session, ...]
    kills_requested: int
    interval_units: float | None
    """the checkpoint interval in position units (steps or epochs); None when unknown"""
    interval_label: str
    unit: str = "step"
    final: FinalComparison | None = None
    timed_out: bool = False

    def restarts(self) -> list[tuple[Kill, Session]]:
        """Each kill with the session that followed it."""
        after = {s.index: s for s in self.sessions}
        return [(k, after[k.index]) for k in self.kills if k.index in after]


@dataclass(frozen=True)
class Check:
    """A named check's verdict with its evidence lines."""

    id: str
    title: str
    verdict: str
    evidence: tuple[str, ...]
