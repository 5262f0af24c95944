"""The drill itself: start the training command, SIGKILL it at seeded-random moments (some
while a checkpoint is being written), restart it, run an uninterrupted reference, and turn
what happened into `Observations` and a `DrillResult`."""

from __future__ import annotations

import json
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor import rxcache
from auditor.drill.checks import judge
from auditor.drill.disk import STEP_RE, FileFacts, Watcher, judge_file, name_position, scan
from auditor.drill.final import compare_final
from auditor.drill.observations import (
    DURING_WRITE,
    RANDOM,
    UNVERIFIED,
    DiskCheckpoint,
    FinalComparison,
    Kill,
    Observations,
    Session,
)
from auditor.drill.process import TrainerProcess, child_env
from auditor.drill.result import DrillResult, iso_time
from auditor.runlayout import EVENTS_FILE
from auditor.drill.settings import DrillSettings, DrillUsageError, render_command

_POLL_S = 0.002
_EPOCH_RE = rxcache.compile(r"(?i)\bepoch[\s=:#]*(\d+)")
_RESUME_RE = rxcache.compile(r"(?i)\bresum\w*\b.*?\bfrom\s+(\S+)")


def _line_position(text: str, unit: str) -> int | None:
    regex = STEP_RE if unit == "step" else _EPOCH_RE
    match = regex.search(text)
    return int(match.group(1)) if match else None


def _read_events(path: Path, offset: int) -> list[dict]:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return []
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            events.append(record)
    return events


@dataclass
class _RawSession:
    """One start of the training command in the drill: its process, watcher and events, and how it ended."""

    index: int
    process: TrainerProcess
    watcher: Watcher
    events_offset: int
    killed: bool = False
    exit_code: int | None = None
    events: list[dict] = field(default_factory=list)


@dataclass
class _RawKill:
    """One SIGKILL the drill sent: its number, mode and time, the files being written, and the files on disk after."""

    index: int
    mode: str
    t_s: float
    at: str
    in_progress: tuple[str, ...]
    files: tuple[FileFacts, ...]


class _Drill:
    """One drill's orchestration: sessions, kills, snapshots."""

    def __init__(self, settings: DrillSettings, scratch: Path, run_dir: Path, echo: Callable[[str], None]) -> None:
        self.s = settings
        self.scratch = scratch
        self.run_dir = run_dir
        self.echo = echo
        self.rng = random.Random(settings.seed)
        self.t0 = time.monotonic()
        self.deadline = self.t0 + settings.timeout_s
        self.env = child_env()
        self.timed_out = False
        self.sessions: list[_RawSession] = []
        self.kills: list[_RawKill] = []
        self.epoch_re = re.compile(settings.epoch_pattern)  # the user's own: not kept
        self.manifests_used = False
        self.reference: TrainerProcess | None = None

    def values(self, run_dir: Path) -> dict[str, str]:
        return {"python": sys.executable, "run_dir": str(run_dir), "scratch": str(self.scratch),
                "data": str(self.scratch / "data.npz")}  # fmt: skip

    def prepare(self) -> None:
        if not self.s.prepare:
            return
        argv = render_command(self.s.prepare, self.values(self.run_dir), "prepare command", self.s.project)
        self.echo(f"prepare: {shlex.join(argv)}")
        try:
            done = subprocess.run(argv, cwd=self.s.project, env=self.env, capture_output=True, text=True,
                                  timeout=max(1.0, self.deadline - time.monotonic()))  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise DrillUsageError(f"prepare command timed out: {shlex.join(argv)}") from exc
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip()[-2000:]
            raise DrillUsageError(f"prepare command failed with exit code {done.returncode}: {shlex.join(argv)}\n{tail}")

    def start(self, argv: list[str]) -> _RawSession:
        events = self.run_dir / EVENTS_FILE
        offset = events.stat().st_size if events.is_file() else 0
        watcher = Watcher(self.run_dir, self.s.checkpoint_patterns)
        try:
            process = TrainerProcess(argv, self.s.project, self.env)
        except OSError as exc:
            raise DrillUsageError(f"--command cannot be started: {exc}") from exc
        session = _RawSession(len(self.sessions), process, watcher, offset)
        self.sessions.append(session)
        return session

    def _out_of_time(self) -> bool:
        if time.monotonic() > self.deadline:
            self.timed_out = True
        return self.timed_out

    def kill_when_due(self, session: _RawSession, mode: str) -> bool:
        """Wait for the moment `mode` asks for and SIGKILL; False when the process ended first."""
        p, w = session.process, session.watcher
        commits_needed = self.rng.randint(1, 3) if mode == RANDOM else self.rng.randint(0, 1)
        fraction = self.rng.random()
        commits, delay_until = 0, None
        while True:
            if not p.alive():
                return False
            if self._out_of_time():
                p.kill()
                session.killed = True
                return False
            new, writing = w.poll()
            commits += new
            if mode == DURING_WRITE and commits >= commits_needed and writing:
                break
            if mode == RANDOM and commits >= commits_needed:
                if delay_until is None:
                    delay_until = time.monotonic() + fraction * self._commit_gap(w)
                if time.monotonic() >= delay_until:
                    break
            time.sleep(_POLL_S)
        writing_before = writing
        p.kill()
        t = time.monotonic()
        # what the restart will find: the disk as the killed process left it
        in_progress = tuple(sorted(set(w.temp_files()) | set(writing_before)))
        self.kills.append(_RawKill(len(self.kills) + 1, mode, round(t - self.t0, 3), iso_time(time.time()), in_progress,
                                   scan(self.run_dir, self.s.checkpoint_patterns)))  # fmt: skip
        session.killed = True
        session.exit_code = p.proc.returncode
        return True

    @staticmethod
    def _commit_gap(w: Watcher) -> float:
        times = [t for t, _ in w.commits]
        if len(times) >= 2:
            return min(2.0, max(0.01, times[-1] - times[-2]))
        return 0.3

    def finish(self, session: _RawSession) -> None:
        """Let the session run to its end (watching its commits), or kill it at the deadline."""
        p = session.process
        while p.alive():
            if self._out_of_time():
                p.kill()
                session.killed = True
                break
            session.watcher.poll()
            time.sleep(0.01)
        p.wait(5)
        if session.exit_code is None:
            session.exit_code = p.proc.returncode

    def collect_events(self, session: _RawSession) -> None:
        session.events = _read_events(self.run_dir / EVENTS_FILE, session.events_offset)

    def run(self, argv: list[str]) -> None:
        plan = [RANDOM if i % 2 == 0 else DURING_WRITE for i in range(self.s.kills)]
        for mode in plan:
            session = self.start(argv)
            landed = self.kill_when_due(session, mode)
            if not landed:
                self.finish(session)
                self.collect_events(session)
                self.echo(f"session {session.index} ended by itself (exit code {session.exit_code}) "
                          f"before kill {len(self.kills) + 1}")
                return
            self.collect_events(session)
            kill = self.kills[-1]
            self.echo(f"kill {kill.index} ({kill.mode}) at {kill.t_s:.2f}s"
                      + (f", write in progress: {', '.join(kill.in_progress)}" if kill.in_progress else ""))
            if self.timed_out:
                return
        session = self.start(argv)
        self.finish(session)
        self.collect_events(session)
        self.echo(f"session {session.index} ended with exit code {session.exit_code}")

    def run_reference(self, argv: list[str]) -> int | None:
        """The same command, uninterrupted, in its own run directory; its exit code (None: timed out)."""
        p = self.reference = TrainerProcess(argv, self.s.project, self.env)
        if not p.wait(self.deadline - time.monotonic()):
            p.kill()
            self.timed_out = True
            return None
        return p.proc.returncode


def _manifests_used(kills: Sequence[_RawKill], run_dir: Path, patterns: Sequence[str]) -> bool:
    if any(f.manifest is not None for k in kills for f in k.files):
        return True
    return any(f.manifest is not None for f in scan(run_dir, patterns))


def _median_gap(values: Sequence[float]) -> float | None:
    gaps = [b - a for a, b in zip(values, values[1:]) if b > a]
    return statistics.median(gaps) if gaps else None


def _unit_seconds(sessions: Sequence[_RawSession], unit: str) -> float | None:
    """Median seconds between consecutive reported positions (one batch, or one epoch)."""
    gaps = []
    for s in sessions:
        last = None
        for t, text in s.process.lines:
            pos = _line_position(text, unit)
            if pos is None:
                continue
            if last is not None and pos == last[1] + 1:
                gaps.append(t - last[0])
            last = (t, pos)
    return statistics.median(gaps) if gaps else None


def _interval(drill: _Drill, final_files: Sequence[DiskCheckpoint], unit: str) -> tuple[float | None, str]:
    manifests = [f.manifest for k in drill.kills for f in k.files if f.manifest] + [
        f.manifest for f in scan(drill.run_dir, drill.s.checkpoint_patterns) if f.manifest
    ]
    interval = next((m["interval"] for m in manifests if isinstance(m.get("interval"), dict)), None)
    if drill.s.interval_s is not None or (interval and interval.get("kind") == "time"):
        seconds = drill.s.interval_s if drill.s.interval_s is not None else float(interval["value"])
        per_unit = _unit_seconds(drill.sessions, unit)
        if per_unit is None:
            return None, f"{seconds:g}s (no {unit} rate measured)"
        return seconds / per_unit, f"{seconds:g}s (= {seconds / per_unit:.1f} {unit}s at {per_unit:.3f}s a {unit})"
    if interval and interval.get("kind") == "steps":
        return float(interval["value"]), f"interval {interval['value']} steps (manifest)"
    if interval and interval.get("kind") == "epochs":
        per_epoch = [m["step"] // m["epoch"] for m in manifests
                     if m.get("batch_in_epoch") == 0 and isinstance(m.get("epoch"), int) and m["epoch"] > 0
                     and isinstance(m.get("step"), int)]  # fmt: skip
        if per_epoch:
            steps = interval["value"] * max(per_epoch)
            return float(steps), f"interval {interval['value']} epochs = {steps} steps (manifest)"
        return None, f"interval {interval['value']} epochs (steps per epoch unknown)"
    positions = sorted({c.position for c in final_files if c.position is not None}
                       | {c.position for k in drill.kills for c in _judged(drill, k) if c.position is not None})
    gap = _median_gap(positions)
    if gap is None:
        return None, "unknown (fewer than two checkpoints seen)"
    return float(gap), f"{gap:g} {unit}s between checkpoints (observed)"


def _judged(drill: _Drill, kill: _RawKill) -> tuple[DiskCheckpoint, ...]:
    return tuple(judge_file(f, manifests_used=drill.manifests_used, epoch_re=drill.epoch_re) for f in kill.files)


def _session_observation(drill: _Drill, raw: _RawSession, before: Kill | None, unit: str) -> Session:
    resumed_file = resumed_position = None
    evidence = ""
    started_fresh = None
    events = raw.events
    if any(e.get("event") == "run_start" for e in events):
        resumed = next((e for e in events if e.get("event") == "resumed_from"), None)
        started_fresh = resumed is None
        if resumed is not None:
            resumed_file = str(resumed.get("file"))
            resumed_position = resumed.get("step") if isinstance(resumed.get("step"), int) else None
            evidence = EVENTS_FILE
    if resumed_file is None:
        for _, text in raw.process.lines:
            match = _RESUME_RE.search(text)
            if match:
                resumed_file = Path(match.group(1).strip(".,;:)('\"")).name
                found = before.find(resumed_file) if before else None
                resumed_position = found.position if found else None
                evidence = "stdout"
                started_fresh = False if started_fresh is None else started_fresh
                break
    first_position = next((p for _, text in raw.process.lines if (p := _line_position(text, unit)) is not None), None)
    first_checkpoint = None
    if raw.watcher.commits:
        rel = raw.watcher.commits[0][1]
        first_checkpoint = DiskCheckpoint(file=rel, position=name_position(Path(rel).name, drill.epoch_re),
                                          status=UNVERIFIED, reason="written after the restart")  # fmt: skip
    tail = "\n".join(text for _, text in raw.process.lines[-15:])
    return Session(raw.index, raw.exit_code, raw.killed, resumed_file, resumed_position, evidence, started_fresh,
                   first_position, first_checkpoint, tail)  # fmt: skip


def _kill_position(raw: _RawSession, unit: str) -> int | None:
    positions = [p for _, text in raw.process.lines if (p := _line_position(text, unit)) is not None]
    return max(positions) if positions else None


def _final_checkpoint(run_dir: Path, drill: _Drill) -> DiskCheckpoint | None:
    files = [judge_file(f, manifests_used=drill.manifests_used, epoch_re=drill.epoch_re)
             for f in scan(run_dir, drill.s.checkpoint_patterns)]  # fmt: skip
    files = [c for c in files if c.resumable]
    if not files:
        return None
    return max(files, key=lambda c: (c.position if c.position is not None else -1, c.kind == "final",
                                     (run_dir / c.file).stat().st_mtime))  # fmt: skip


def run_drill(settings: DrillSettings, echo: Callable[[str], None] = print) -> DrillResult:
    """Run the drill as `settings` say and judge it. DrillUsageError for what cannot be run."""
    if settings.kills < 1:
        raise DrillUsageError("--kills must be at least 1")
    if "{run_dir}" not in settings.command:
        raise DrillUsageError("--command must contain {run_dir}: the drill points the trainer at its scratch "
                              "run directory")
    if settings.run_dir is not None and settings.run_dir.exists() and any(settings.run_dir.iterdir()):
        raise DrillUsageError(f"--run-dir {settings.run_dir} is not empty; the drill needs a fresh run directory")
    try:
        epoch_re = re.compile(settings.epoch_pattern)
    except re.error as exc:
        raise DrillUsageError(f"epoch pattern {settings.epoch_pattern!r}: {exc}") from None
    scratch = Path(tempfile.mkdtemp(prefix="audit-drill-"))
    drill: _Drill | None = None
    try:
        run_dir = settings.run_dir or scratch / "run"
        drill = _Drill(settings, scratch, run_dir, echo)
        argv = render_command(settings.command, drill.values(run_dir), cwd=settings.project)
        reference_dir = scratch / "reference" / "run" if settings.compare_final else None
        ref_argv = render_command(settings.command, drill.values(reference_dir), cwd=settings.project) \
            if reference_dir else None  # fmt: skip
        started = time.time()
        drill.prepare()
        run_dir.mkdir(parents=True, exist_ok=True)  # a wrapper may cd into it before the trainer makes it
        echo(f"drill: {settings.kills} kills (seed {settings.seed}) of: {shlex.join(argv)}")
        drill.run(argv)
        drill.manifests_used = _manifests_used(drill.kills, run_dir, settings.checkpoint_patterns)
        unit = "step" if drill.manifests_used or not any(epoch_re.search(Path(f.rel).name) for k in drill.kills
                                                         for f in k.files) else "epoch"  # fmt: skip
        final = None
        if ref_argv is not None and not drill.timed_out:
            echo("reference: the same command without kills")
            code = drill.run_reference(ref_argv)
            final = _compare_runs(drill, run_dir, reference_dir, code)
        kills, sessions = _observe(drill, unit)
        final_files = [judge_file(f, manifests_used=drill.manifests_used, epoch_re=epoch_re)
                       for f in scan(run_dir, settings.checkpoint_patterns)]  # fmt: skip
        units, label = _interval(drill, final_files, unit)
        obs = Observations(kills=kills, sessions=sessions, kills_requested=settings.kills, interval_units=units,
                           interval_label=label, unit=unit, final=final, timed_out=drill.timed_out)  # fmt: skip
        return DrillResult(settings, tuple(argv), run_dir, reference_dir, iso_time(started), iso_time(time.time()), obs,
                           judge(obs), _git_commit(settings.project))  # fmt: skip
    finally:
        if drill is not None:  # an interrupted drill leaves no trainer running
            processes = [s.process for s in drill.sessions] + ([drill.reference] if drill.reference else [])
            for process in processes:
                if process.alive():
                    process.kill()
        shutil.rmtree(scratch, ignore_errors=True)


def _git_commit(project: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _compare_runs(drill: _Drill, run_dir: Path, reference_dir: Path, code: int | None) -> FinalComparison:
    if code is None:
        return FinalComparison(False, "the uninterrupted run did not finish within --timeout")
    if code != 0:
        return FinalComparison(False, f"the uninterrupted run failed with exit code {code}")
    mine, theirs = _final_checkpoint(run_dir, drill), _final_checkpoint(reference_dir, drill)
    if mine is None or theirs is None:
        which = "drilled" if mine is None else "uninterrupted"
        return FinalComparison(False, f"the {which} run left no final checkpoint matching the pattern")
    return compare_final(run_dir / mine.file, reference_dir / theirs.file)


def _observe(drill: _Drill, unit: str) -> tuple[tuple[Kill, ...], tuple[Session, ...]]:
    kills = []
    for raw in drill.kills:
        killed_session = drill.sessions[raw.index - 1]
        kills.append(Kill(raw.index, raw.mode, raw.t_s, raw.at, _kill_position(killed_session, unit),
                          bool(raw.in_progress), raw.in_progress, _judged(drill, raw)))  # fmt: skip
    by_index = {k.index: k for k in kills}
    sessions = tuple(_session_observation(drill, raw, by_index.get(raw.index), unit) for raw in drill.sessions)
    return tuple(kills), sessions
