"""The kill-and-resume drill: SIGKILL a training command at random moments, restart it, judge.

`run_drill(settings)` starts the training command in a scratch run directory, kills its
process group with SIGKILL at seeded-random moments (some timed to land while a checkpoint
is being written), restarts the same command after each kill, lets the last session finish,
optionally runs the command once more without kills, and judges what it recorded.

What is recorded are observations (frozen dataclasses: `Kill`, `Session`, `Observations`);
the checks (`check_resumed_from_newest`, `check_lost_work`, `check_no_corrupt_loaded`,
`check_final_weights`, `check_run_finished`) are pure functions of them, so they are tested
without processes too. The result format, `audit-drill/1`, is described in docs/drill.md.

Checkpoints are found with glob patterns relative to the run directory. A checkpoint with a
`magvit-checkpoint/1` manifest (docs/run-directory.md) is verified by size and sha256; a
foreign one by its format (JSON parses, a zip's CRCs match) and positioned by the number in
its name.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from auditor.atomic import file_sha256, write_atomic
from auditor.evidence.tensors import TensorReadError, largest_difference, read_torch_zip

RESULT_FORMAT = "audit-drill/1"
MANIFEST_FORMAT_PREFIX = "magvit-checkpoint/"
LATEST = Path("artifacts") / "drill" / "latest.json"

DEFAULT_PREPARE = "{python} -m magvit data make --out {data} --n 24 --frames 4 --size 16"
DEFAULT_COMMAND = (
    "{python} -m magvit train --data {data} --run-dir {run_dir} --config magvit/configs/tiny.yaml "
    "--checkpoint-every 2steps --epochs 12"
)
PLACEHOLDERS = ("python", "run_dir", "scratch", "data")

VALID, UNVERIFIED, UNCOMMITTED, CORRUPT = "valid", "unverified", "uncommitted", "corrupt"
PASS, FAIL, SKIP = "pass", "fail", "skip"
RANDOM, DURING_WRITE = "random", "during-write"

_POLL_S = 0.002
_STEP_RE = re.compile(r"(?i)\bstep[\s=:#]*(\d+)")
_EPOCH_RE = re.compile(r"(?i)\bepoch[\s=:#]*(\d+)")
_RESUME_RE = re.compile(r"(?i)\bresum\w*\b.*?\bfrom\s+(\S+)")
_LAST_NUMBER_RE = re.compile(r"(\d+)(?!.*\d)")
_TMP_NAME_RE = re.compile(r"^\.tmp|\.(tmp|part|partial)$")
_ZIP_SUFFIXES = (".pt", ".pth", ".ckpt", ".zip", ".npz")


class DrillUsageError(Exception):
    """The drill cannot be run as asked (bad command, placeholder, option or config); exit 2."""


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class DrillSettings:
    """What to drill and how; built from options over `[tool.audit.drill]` / `drill:` over defaults."""

    project: Path
    """the project root: commands run here"""
    command: str
    """the training command, with {python} {run_dir} {scratch} {data} placeholders"""
    prepare: str | None = None
    """a command run once before the drill (e.g. making a tiny data set), same placeholders"""
    checkpoint_patterns: tuple[str, ...] = ("checkpoints/*.pt", "*.pt")
    """globs for checkpoint files, relative to the run directory"""
    epoch_pattern: str = r"epoch[_-]?(\d+)"
    """regex that pulls a position from a foreign checkpoint's name"""
    kills: int = 3
    """how many SIGKILLs to land"""
    seed: int = 0
    """seed of the kill plan"""
    interval_s: float | None = None
    """the trainer's checkpoint interval in seconds, when its manifests do not say"""
    compare_final: bool = True
    """run once more without kills and compare the final checkpoints' tensors"""
    timeout_s: float = 600.0
    """the whole drill's time limit"""
    run_dir: Path | None = None
    """where the drilled run goes; a fresh temporary directory when None"""


_DRILL_KEYS: dict[str, Callable[[str, Any], Any]] = {}


def _key(name: str):
    def register(fn):
        _DRILL_KEYS[name] = fn
        return fn

    return register


@_key("command")
@_key("prepare")
def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DrillUsageError(f"{where}: must be a non-empty command string, got {value!r}")
    return value


@_key("checkpoint_pattern")
def _patterns(where: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise DrillUsageError(f"{where}: must be a glob or a list of globs, got {value!r}")
    return tuple(values)


@_key("kills")
@_key("seed")
def _count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DrillUsageError(f"{where}: must be a whole number >= 0, got {value!r}")
    return value


@_key("interval_s")
@_key("timeout_s")
def _seconds(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise DrillUsageError(f"{where}: must be a positive number of seconds, got {value!r}")
    return float(value)


@_key("compare_final")
def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DrillUsageError(f"{where}: must be true or false, got {value!r}")
    return value


def load_drill_table(project: Path) -> dict[str, Any]:
    """The `drill` table of the project configuration, checked and converted (empty when absent)."""
    from auditor.config import ConfigError, _read_table

    try:
        source, table = _read_table(project)
    except ConfigError as exc:
        raise DrillUsageError(str(exc)) from exc
    drill = table.get("drill")
    if drill is None:
        return {}
    where = f"{source} [tool.audit.drill]" if source and source.name == "pyproject.toml" else f"{source} drill:"
    if not isinstance(drill, dict):
        raise DrillUsageError(f"{where} must be a table of keys to values")
    values = {}
    for key, value in drill.items():
        if key not in _DRILL_KEYS:
            raise DrillUsageError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(_DRILL_KEYS))})")
        values[key] = _DRILL_KEYS[key](f"{where} key {key!r}", value)
    return values


def resolve_settings(project: Path, **options: Any) -> DrillSettings:
    """Settings from command-line options (None = not given) over the project's drill table over defaults."""
    from auditor.config import ConfigError, load_config

    project = project.resolve()
    if not project.is_dir():
        raise DrillUsageError(f"--project {project}: not a directory")
    table = load_drill_table(project)
    try:
        config = load_config(project)
    except ConfigError as exc:
        raise DrillUsageError(str(exc)) from exc
    patterns, epoch_pattern = config.checkpoint_patterns, config.epoch_pattern
    given = {k: v for k, v in options.items() if v is not None and v != ()}
    command = given.get("command") or table.get("command")
    prepare = given.get("prepare") or table.get("prepare")
    if command is None:
        command, prepare = DEFAULT_COMMAND, prepare or DEFAULT_PREPARE
    return DrillSettings(
        project=project,
        command=command,
        prepare=prepare,
        checkpoint_patterns=tuple(given.get("checkpoint_patterns") or table.get("checkpoint_pattern") or patterns),
        epoch_pattern=epoch_pattern,
        kills=given.get("kills", table.get("kills", DrillSettings.kills)),
        seed=given.get("seed", table.get("seed", DrillSettings.seed)),
        interval_s=given.get("interval_s", table.get("interval_s")),
        compare_final=given.get("compare_final", table.get("compare_final", True)),
        timeout_s=given.get("timeout_s", table.get("timeout_s", DrillSettings.timeout_s)),
        run_dir=Path(given["run_dir"]).resolve() if given.get("run_dir") else None,
    )


def render_command(template: str, values: Mapping[str, str], what: str = "--command", cwd: Path | None = None) -> list[str]:
    """The argv of `template` with its placeholders filled; DrillUsageError naming what is wrong.

    The program must exist: on PATH, or as a file relative to `cwd` (where it will run).
    """
    try:
        tokens = shlex.split(template)
    except ValueError as exc:
        raise DrillUsageError(f"{what} {template!r} cannot be parsed: {exc}") from None
    if not tokens:
        raise DrillUsageError(f"{what} is empty")
    argv = []
    for token in tokens:
        for name in re.findall(r"\{(\w*)\}", token):
            if name not in PLACEHOLDERS:
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise DrillUsageError(f"{what}: unknown placeholder {{{name}}} (known: {known})")
        argv.append(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], token))
    program = argv[0]
    if shutil.which(program) is None and not (Path(cwd or ".") / program).is_file():
        raise DrillUsageError(f"{what}: program {tokens[0]!r} not found")
    return argv


# ----------------------------------------------------------------------------- observations


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


# ----------------------------------------------------------------------------- checks (pure)


def _pos(unit: str, value: int | None) -> str:
    return f"{unit} {value}" if value is not None else f"{unit} ?"


def _at_least_as_new(used: DiskCheckpoint | None, newest: DiskCheckpoint | None) -> bool:
    """An intact checkpoint whose position is no earlier than the newest resumable one's."""
    if used is None or newest is None or used.status not in (VALID, UNVERIFIED):
        return False
    return used.position is not None and newest.position is not None and used.position >= newest.position


def check_resumed_from_newest(obs: Observations) -> Check:
    """(a) Every restart resumed from the newest valid checkpoint on disk at its kill."""
    title = "Every restart resumed from the newest valid checkpoint"
    lines, failed = [], False
    for kill, session in obs.restarts():
        newest = kill.newest_valid()
        tag = f"kill {kill.index}"
        if session.resumed_file:
            said = f"{session.resumed_file} ({session.resume_evidence})"
            if newest is not None and Path(session.resumed_file).name == newest.name:
                lines.append(f"{tag}: resumed from {said}, the newest valid at the kill")
                continue
            used = kill.find(session.resumed_file)
            if _at_least_as_new(used, newest):
                # e.g. a best-model file that holds the full state and is further than any
                # periodic one: resuming from it loses less, never more
                lines.append(f"{tag}: resumed from {said}, intact and at least as far as any other at the kill")
                continue
            failed = True
            if newest is None:
                lines.append(f"{tag}: resumed from {said} although no valid checkpoint was on disk at the kill")
            else:
                lines.append(f"{tag}: resumed from {said} although {newest.name} "
                             f"({_pos(obs.unit, newest.position)}) was the newest valid at the kill")
            continue
        if newest is None:
            lines.append(f"{tag}: no valid checkpoint on disk at the kill; starting fresh is right")
            continue
        want = f"{newest.name} ({_pos(obs.unit, newest.position)}) was valid at the kill"
        first = session.first_checkpoint
        if session.started_fresh:
            failed = True
            lines.append(f"{tag}: started from scratch (run_start without resumed_from) although {want}")
        elif first is not None and first.position is not None and newest.position is not None \
                and first.position <= newest.position:  # fmt: skip
            failed = True
            lines.append(f"{tag}: did not resume: wrote {first.name} after the restart although {want}")
        elif session.first_position is not None and newest.position is not None \
                and session.first_position < newest.position:  # fmt: skip
            failed = True
            lines.append(f"{tag}: did not resume: first reported {_pos(obs.unit, session.first_position)} "
                         f"after the restart although {want}")
        elif first is not None or session.first_position is not None:
            shown = f"first reported {_pos(obs.unit, session.first_position)}"
            if first is not None:
                shown += f", first checkpoint written {first.name}"
            lines.append(f"{tag}: continued after {newest.name} (inferred: {shown})")
        else:
            failed = True
            lines.append(f"{tag}: no evidence of where the restart resumed (no events, no output, no checkpoint)")
    if not obs.restarts():
        return Check("resumed_from_newest", title, FAIL, ("no kill landed, so no restart was observed",))
    return Check("resumed_from_newest", title, FAIL if failed else PASS, tuple(lines))


def _resumed_position(kill: Kill, session: Session) -> int | None:
    if session.resumed_position is not None:
        return session.resumed_position
    if session.resumed_file:
        found = kill.find(session.resumed_file)
        if found is not None:
            return found.position
    if session.started_fresh:
        return 0
    return session.first_position


def check_lost_work(obs: Observations) -> Check:
    """(b) Work redone after each restart stayed within the checkpoint interval plus one batch."""
    title = "Lost work stayed within the checkpoint interval"
    if obs.interval_units is None:
        return Check("lost_work_within_interval", title, FAIL,
                     (f"the checkpoint interval is unknown ({obs.interval_label}); give --interval-s",))
    allowed = obs.interval_units + 1
    unit = obs.unit
    lines, failed, measured = [], False, 0
    for kill, session in obs.restarts():
        resumed = _resumed_position(kill, session)
        tag = f"kill {kill.index}"
        if kill.position is None or resumed is None:
            lines.append(f"{tag}: not measurable (reported {_pos(unit, kill.position)}, resumed at "
                         f"{_pos(unit, resumed)})")
            continue
        lost = max(0, kill.position - resumed)
        measured += 1
        ok = lost <= allowed
        failed |= not ok
        lines.append(f"{tag}: killed at {_pos(unit, kill.position)}, resumed at {_pos(unit, resumed)}: "
                     f"{lost} {unit}s redone ({'<=' if ok else '>'} {allowed:g} allowed = {obs.interval_label} "
                     f"+ one batch)")
    if not measured:
        failed = True
        lines.append("no restart could be measured")
    return Check("lost_work_within_interval", title, FAIL if failed else PASS, tuple(lines))


def check_no_corrupt_loaded(obs: Observations) -> Check:
    """(c) No restart loaded a checkpoint that was not intact at the kill, and no kill left a
    half-written file under a checkpoint's final name."""
    title = "No corrupt checkpoint was ever loaded"
    lines, failed = [], False
    for kill in obs.kills:
        for c in kill.on_disk:
            if c.status == CORRUPT:
                failed = True
                lines.append(f"kill {kill.index} left a half-written file under its final name: {c.file} ({c.reason})")
    for kill, session in obs.restarts():
        if not session.resumed_file:
            continue
        found = kill.find(session.resumed_file)
        if found is None:
            lines.append(f"kill {kill.index}: resumed from {session.resumed_file}, not among the files at the kill")
        elif found.status in (VALID, UNVERIFIED):
            lines.append(f"kill {kill.index}: loaded {found.name}, {found.status} at the kill ({found.reason})")
        else:
            failed = True
            lines.append(f"kill {kill.index}: loaded {found.name}, which was {found.status} at the kill ({found.reason})")
    for kill, session in obs.restarts():
        broken = [c.name for c in kill.on_disk if c.status == CORRUPT]
        if broken and not session.killed and session.exit_code not in (0, None):
            lines.append(f"kill {kill.index}: the restart then failed with exit code {session.exit_code}")
    if not lines:
        lines.append("no restart loaded a checkpoint")
    return Check("no_corrupt_checkpoint_loaded", title, FAIL if failed else PASS, tuple(lines))


def check_final_weights(obs: Observations) -> Check:
    """(d) The drilled run's final weights equal an uninterrupted run's."""
    title = "Final weights equal an uninterrupted run's"
    if obs.final is None:
        return Check("final_weights_equal", title, SKIP, ("not compared (--no-compare-final)",))
    return Check("final_weights_equal", title, PASS if obs.final.equal else FAIL, (obs.final.detail,))


def check_run_finished(obs: Observations) -> Check:
    """Every kill landed, no session died on its own, and the last one finished (exit 0)."""
    title = "All kills landed and the run finished"
    lines, failed = [], False
    if obs.timed_out:
        failed = True
        lines.append("the drill ran out of time (--timeout)")
    if len(obs.kills) < obs.kills_requested:
        failed = True
        cause = ("a session failed" if any(not s.killed and s.exit_code not in (0, None) for s in obs.sessions)
                 else "the run finished first (make the drilled run longer)")
        lines.append(f"only {len(obs.kills)} of {obs.kills_requested} kills landed: {cause}")
    else:
        writes = sum(k.during_write for k in obs.kills)
        lines.append(f"{len(obs.kills)} kills landed ({writes} during a checkpoint write)")
    for session in obs.sessions:
        if session.killed:
            continue
        if session.exit_code != 0:
            failed = True
            lines.append(f"session {session.index} ended by itself with exit code {session.exit_code}: "
                         f"{session.output_tail.strip().splitlines()[-1] if session.output_tail.strip() else ''}")
        else:
            lines.append(f"session {session.index} finished with exit code 0")
    if obs.sessions and obs.sessions[-1].killed:
        failed = True
        lines.append("the last session did not finish")
    return Check("run_finished", title, FAIL if failed else PASS, tuple(lines))


CHECKS: tuple[Callable[[Observations], Check], ...] = (
    check_resumed_from_newest,
    check_lost_work,
    check_no_corrupt_loaded,
    check_final_weights,
    check_run_finished,
)


def judge(obs: Observations) -> tuple[Check, ...]:
    """Every check's verdict."""
    return tuple(check(obs) for check in CHECKS)


# ----------------------------------------------------------------------------- disk


@dataclass(frozen=True)
class _FileFacts:
    """Raw facts about one checkpoint file, taken right after a kill; judged later."""

    rel: str
    size: int
    sha256: str
    manifest: dict | None
    integrity: str | None
    """None when intact, else why not (foreign formats)"""
    verifiable: bool



def _manifest_of(path: Path) -> dict | None:
    sibling = path.with_suffix(".json")
    if sibling == path or not sibling.is_file():
        return None
    try:
        data = json.loads(sibling.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"format": MANIFEST_FORMAT_PREFIX, "unreadable": True}
    if isinstance(data, dict) and str(data.get("format", "")).startswith(MANIFEST_FORMAT_PREFIX):
        return data
    return None


def _integrity(path: Path) -> tuple[str | None, bool]:
    """(why the file is not intact or None, whether its format could be checked at all)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return f"not valid JSON: {exc}", True
        return None, True
    if suffix in _ZIP_SUFFIXES:
        if not zipfile.is_zipfile(path):
            with open(path, "rb") as handle:
                head = handle.read(4)
            if not head:
                return "empty file", True
            if head == b"PK\x03\x04":  # a zip that never got its central directory: cut off mid-write
                return "truncated zip archive (no central directory)", True
            return None, False  # e.g. torch's legacy pickle format: not checkable without unpickling
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            return f"broken zip archive: {exc}", True
        return (f"zip member {bad} fails its CRC", True) if bad else (None, True)
    return None, False


def _checkpoint_paths(run_dir: Path, patterns: Sequence[str]) -> list[Path]:
    found = set()
    for pattern in patterns:
        for path in run_dir.glob(pattern):
            if path.is_file() and not _TMP_NAME_RE.search(path.name):
                found.add(path)
    return sorted(found)


def scan(run_dir: Path, patterns: Sequence[str]) -> tuple[_FileFacts, ...]:
    """The facts of every checkpoint file matching `patterns` in `run_dir`."""
    facts = []
    for path in _checkpoint_paths(run_dir, patterns):
        try:
            manifest = _manifest_of(path)
            integrity, verifiable = _integrity(path) if manifest is None else (None, True)
            facts.append(_FileFacts(str(path.relative_to(run_dir)), path.stat().st_size, file_sha256(path), manifest,
                                    integrity, verifiable))  # fmt: skip
        except FileNotFoundError:
            continue
    return tuple(facts)


def _name_position(name: str, epoch_re: re.Pattern[str]) -> int | None:
    match = epoch_re.search(name) or _STEP_RE.search(name) or _LAST_NUMBER_RE.search(name)
    return int(match.group(1)) if match else None


def judge_file(facts: _FileFacts, *, manifests_used: bool, epoch_re: re.Pattern[str]) -> DiskCheckpoint:
    """A file's status given whether the trainer writes manifests at all."""
    name = Path(facts.rel).name
    m = facts.manifest
    common = {"file": facts.rel, "size_bytes": facts.size, "sha256": facts.sha256}
    if m is not None:
        position = m.get("step") if isinstance(m.get("step"), int) else _name_position(name, epoch_re)
        kind = m.get("kind") if isinstance(m.get("kind"), str) else None
        if m.get("unreadable"):
            return DiskCheckpoint(position=position, status=UNCOMMITTED, reason="manifest unreadable", kind=kind, **common)
        if m.get("file") != name:
            return DiskCheckpoint(position=position, status=CORRUPT, reason=f"manifest names {m.get('file')!r}",
                                  kind=kind, **common)  # fmt: skip
        if m.get("size_bytes") != facts.size:
            return DiskCheckpoint(position=position, status=CORRUPT, kind=kind, **common,
                                  reason=f"size {facts.size} bytes, manifest says {m.get('size_bytes')} (truncated)")
        if m.get("sha256") != facts.sha256:
            return DiskCheckpoint(position=position, status=CORRUPT, kind=kind, **common,
                                  reason="sha256 does not match the manifest")
        return DiskCheckpoint(position=position, status=VALID, reason="size and sha256 match the manifest",
                              kind=kind, **common)  # fmt: skip
    position = _name_position(name, epoch_re)
    if manifests_used:
        return DiskCheckpoint(position=position, status=UNCOMMITTED, reason="no manifest: the save did not finish",
                              **common)  # fmt: skip
    if facts.integrity is not None:
        return DiskCheckpoint(position=position, status=CORRUPT, reason=facts.integrity, **common)
    reason = "complete (format checked)" if facts.verifiable else "format not checkable; assumed complete"
    return DiskCheckpoint(position=position, status=UNVERIFIED, reason=reason, **common)


def _stem(name: str) -> str:
    return name.split(".", 1)[0]


def _writes_checkpoint(temp_name: str, name_globs: Sequence[str], checkpoint_stems: set[str]) -> bool:
    """Whether a temp file is part of a checkpoint write: the name it will be renamed to
    (`.tmp-<name>.<random>`, `<name>.tmp`, ...) matches a checkpoint pattern, or it is the
    sidecar (a manifest) of a checkpoint in the same folder. Rewrites of progress.json or
    config.yaml beside the checkpoints are not."""
    core = re.sub(r"\.(tmp|part|partial)$", "", re.sub(r"^\.tmp[-_.]?", "", temp_name))
    parts = core.split(".")
    targets = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    if any(fnmatch.fnmatch(t, g) for t in targets for g in name_globs):
        return True
    return _stem(core) in checkpoint_stems


class _Watcher:
    """Polls the checkpoint folders: files committed under final names, and writes in progress."""

    def __init__(self, run_dir: Path, patterns: Sequence[str]) -> None:
        self.run_dir = run_dir
        self.patterns = tuple(patterns)
        self.folders = sorted({(run_dir / p).parent for p in patterns})
        self._name_globs: dict[Path, tuple[str, ...]] = {}
        for p in patterns:
            folder = (run_dir / p).parent
            self._name_globs[folder] = self._name_globs.get(folder, ()) + (Path(p).name,)
        self.seen: dict[str, tuple[int, int]] = self._stat_all()
        self.commits: list[tuple[float, str]] = []
        # temp files a killed session left behind are not a write in progress
        self.stale: set[tuple[str, int]] = set(self._temp_entries())

    def _stat_all(self) -> dict[str, tuple[int, int]]:
        out = {}
        for path in _checkpoint_paths(self.run_dir, self.patterns):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out[str(path.relative_to(self.run_dir))] = (st.st_ino, st.st_size)
        return out

    def _temp_entries(self) -> list[tuple[str, int]]:
        found = []
        for folder in self.folders:
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            names = self._name_globs.get(folder, ())
            stems = {_stem(e.name) for e in entries if any(fnmatch.fnmatch(e.name, g) for g in names)}
            for entry in entries:
                if _TMP_NAME_RE.search(entry.name) and _writes_checkpoint(entry.name, names, stems):
                    try:
                        found.append((str(Path(entry.path).relative_to(self.run_dir)), entry.inode()))
                    except OSError:
                        continue
        return found

    def temp_files(self) -> list[str]:
        """Temp files written by the current session (leftovers of a killed one excluded)."""
        return [rel for rel, ino in self._temp_entries() if (rel, ino) not in self.stale]

    def poll(self) -> tuple[int, list[str]]:
        """(checkpoints committed since the last poll, writes in progress now)."""
        now = self._stat_all()
        growing, committed = [], 0
        for rel, (ino, size) in now.items():
            before = self.seen.get(rel)
            if before is None or before[0] != ino:
                committed += 1
                self.commits.append((time.monotonic(), rel))
            elif size > before[1]:
                growing.append(rel)
        self.seen = now
        return committed, self.temp_files() + growing


# ----------------------------------------------------------------------------- processes


class _TrainerProcess:
    """The training command in its own process group, its output read line by line with times."""

    def __init__(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> None:
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\r\n")))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, and descendants that left it, and wait for them to be gone.

        Launchers such as torchrun start each worker in a session of its own: killing the
        group alone would leave the workers writing checkpoints after the kill is recorded.
        """
        strays = _descendants(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        _wait_gone(strays, timeout=5.0)
        self._reader.join(timeout=5)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to end by itself."""
        try:
            self.proc.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=5)
        return True


def _process_table() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, state letter)} from /proc; empty where there is no /proc."""
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
        if len(fields) >= 2:
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def _descendants(root: int) -> list[int]:
    """Every live descendant of `root`, whatever its process group or session."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in _process_table().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _wait_gone(pids: Sequence[int], timeout: float) -> None:
    """Wait until none of `pids` runs any more (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = _process_table()
        if all(table.get(pid, (0, "Z"))[1] in ("Z", "X") for pid in pids):
            return
        time.sleep(_POLL_S)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # lines must reach the drill before the kill, not sit in a buffer
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    return env


def _line_position(text: str, unit: str) -> int | None:
    regex = _STEP_RE if unit == "step" else _EPOCH_RE
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
    index: int
    process: _TrainerProcess
    watcher: _Watcher
    events_offset: int
    killed: bool = False
    exit_code: int | None = None
    events: list[dict] = field(default_factory=list)


@dataclass
class _RawKill:
    index: int
    mode: str
    t_s: float
    at: str
    in_progress: tuple[str, ...]
    files: tuple[_FileFacts, ...]


# ----------------------------------------------------------------------------- the drill


@dataclass(frozen=True)
class DrillResult:
    """The observations, the checks and the overall verdict, plus what produced them."""

    settings: DrillSettings
    argv: tuple[str, ...]
    run_dir: Path
    reference_run_dir: Path | None
    started_at: str
    finished_at: str
    observations: Observations
    checks: tuple[Check, ...]
    code_version: str | None = None
    """git commit of the project when the drill ran (None outside git)"""

    @property
    def passed(self) -> bool:
        return all(c.verdict != FAIL for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        self.env = _child_env()
        self.timed_out = False
        self.sessions: list[_RawSession] = []
        self.kills: list[_RawKill] = []
        self.epoch_re = re.compile(settings.epoch_pattern)
        self.manifests_used = False
        self.reference: _TrainerProcess | None = None

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
        events = self.run_dir / "events.jsonl"
        offset = events.stat().st_size if events.is_file() else 0
        watcher = _Watcher(self.run_dir, self.s.checkpoint_patterns)
        try:
            process = _TrainerProcess(argv, self.s.project, self.env)
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
        self.kills.append(_RawKill(len(self.kills) + 1, mode, round(t - self.t0, 3), _iso(time.time()), in_progress,
                                   scan(self.run_dir, self.s.checkpoint_patterns)))  # fmt: skip
        session.killed = True
        session.exit_code = p.proc.returncode
        return True

    @staticmethod
    def _commit_gap(w: _Watcher) -> float:
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
        session.events = _read_events(self.run_dir / "events.jsonl", session.events_offset)

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
        p = self.reference = _TrainerProcess(argv, self.s.project, self.env)
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
            evidence = "events.jsonl"
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
        first_checkpoint = DiskCheckpoint(file=rel, position=_name_position(Path(rel).name, drill.epoch_re),
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


_TIME_KEY_RE = re.compile(r"(^|_)(time|at|timestamp|elapsed_s|duration_s)$")


def _without_times(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_times(v) for k, v in obj.items() if not _TIME_KEY_RE.search(str(k))}
    if isinstance(obj, list):
        return [_without_times(v) for v in obj]
    return obj


def _compare_tensors(drilled: Path, reference: Path) -> FinalComparison:
    """Tensor by tensor: the same names, dtypes, shapes and strides, and the same element bytes."""
    names = (drilled.name, reference.name)
    try:
        a, b = read_torch_zip(drilled), read_torch_zip(reference)
    except TensorReadError as exc:
        return FinalComparison(False, f"cannot compare the final tensors: {exc}", str(drilled), str(reference))
    if a.tensors.keys() != b.tensors.keys():
        only = sorted(a.tensors.keys() ^ b.tensors.keys())[:5]
        return FinalComparison(False, f"{names[0]} and {names[1]} hold different tensors (e.g. {only})",
                               str(drilled), str(reference))  # fmt: skip
    differing: list[str] = []
    diff = ""
    try:
        with zipfile.ZipFile(drilled) as za, zipfile.ZipFile(reference) as zb:
            for key, ra in a.tensors.items():
                rb = b.tensors[key]
                if (ra.dtype, ra.shape, ra.stride) != (rb.dtype, rb.shape, rb.stride):
                    differing.append(key)
                    continue
                ba, bb = a.element_bytes(za, ra), b.element_bytes(zb, rb)
                if ba != bb:
                    if not differing and ra.contiguous and (largest := largest_difference(ra, ba, bb)) is not None:
                        diff = f", max |diff| {largest:.3g}"
                    differing.append(key)
    except (OSError, KeyError, zipfile.BadZipFile, TensorReadError) as exc:
        return FinalComparison(False, f"cannot compare the final tensors: {exc}", str(drilled), str(reference))
    if differing:
        return FinalComparison(False, f"{len(differing)} of {len(a.tensors)} tensors differ (element bytes), first "
                               f"{differing[0]}{diff}", str(drilled), str(reference))  # fmt: skip
    return FinalComparison(True, f"{names[0]}: all {len(a.tensors)} tensors equal (element bytes) to the "
                           f"uninterrupted run's {names[1]}", str(drilled), str(reference))  # fmt: skip


def compare_final(drilled: Path, reference: Path) -> FinalComparison:
    """Compare two final checkpoints: tensors by their bytes (read statically), JSON without time fields,
    anything else byte for byte."""
    names = (drilled.name, reference.name)
    if drilled.suffix.lower() == ".json":
        a, b = (_without_times(json.loads(p.read_text(encoding="utf-8"))) for p in (drilled, reference))
        same = a == b
        return FinalComparison(same, f"{names[0]} {'equals' if same else 'differs from'} the uninterrupted run's "
                               f"{names[1]} (JSON, time fields ignored)", *map(str, (drilled, reference)))
    if drilled.suffix.lower() in _ZIP_SUFFIXES and zipfile.is_zipfile(drilled):
        return _compare_tensors(drilled, reference)
    same = drilled.read_bytes() == reference.read_bytes()
    return FinalComparison(same, f"{names[0]} is {'byte-identical to' if same else 'not byte-identical to'} the "
                           f"uninterrupted run's {names[1]}", str(drilled), str(reference))  # fmt: skip


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
        return DrillResult(settings, tuple(argv), run_dir, reference_dir, _iso(started), _iso(time.time()), obs,
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


# ----------------------------------------------------------------------------- output


def to_json(result: DrillResult) -> dict[str, Any]:
    """The `audit-drill/1` document."""
    obs = result.observations

    def kill_dict(k: Kill) -> dict[str, Any]:
        newest = k.newest_valid()
        return {
            "index": k.index, "mode": k.mode, "t_s": k.t_s, "at": k.at, "position": k.position,
            "during_write": k.during_write, "in_progress": list(k.in_progress),
            "on_disk": [asdict(c) for c in k.on_disk],
            "newest_valid": {"file": newest.file, "position": newest.position} if newest else None,
        }  # fmt: skip

    def session_dict(s: Session) -> dict[str, Any]:
        return {
            "index": s.index, "exit_code": s.exit_code, "killed": s.killed,
            "resumed_from": {"file": s.resumed_file, "position": s.resumed_position, "evidence": s.resume_evidence}
            if s.resumed_file else None,
            "started_fresh": s.started_fresh, "first_position": s.first_position,
            "first_checkpoint": s.first_checkpoint.file if s.first_checkpoint else None,
            "output_tail": s.output_tail,
        }  # fmt: skip

    return {
        "format": RESULT_FORMAT,
        "verdict": PASS if result.passed else FAIL,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "project": str(result.settings.project),
        "code_version": result.code_version,
        "command": result.settings.command,
        "argv": list(result.argv),
        "prepare": result.settings.prepare,
        "run_dir": str(result.run_dir),
        "reference_run_dir": str(result.reference_run_dir) if result.reference_run_dir else None,
        "checkpoint_patterns": list(result.settings.checkpoint_patterns),
        "seed": result.settings.seed,
        "kills_requested": obs.kills_requested,
        "unit": obs.unit,
        "interval": {"units": obs.interval_units, "label": obs.interval_label},
        "kills": [kill_dict(k) for k in obs.kills],
        "sessions": [session_dict(s) for s in obs.sessions],
        "final": asdict(obs.final) if obs.final else None,
        "checks": [{"id": c.id, "title": c.title, "verdict": c.verdict, "evidence": list(c.evidence)}
                   for c in result.checks],  # fmt: skip
    }


_MARK = {PASS: "✅", FAIL: "❌", SKIP: "➖"}


def render_text(result: DrillResult) -> str:
    """The checklist a person reads: kills, then each check with its evidence."""
    obs = result.observations
    lines = ["", f"{'kill':<5} {'t (s)':>7}  {'mode':<13} {'at':<11} {'newest valid on disk':<28} restart resumed from"]
    restarts = {k.index: s for k, s in obs.restarts()}
    for k in obs.kills:
        newest = k.newest_valid()
        resumed = restarts.get(k.index)
        shown = resumed.resumed_file if resumed and resumed.resumed_file else (
            "(fresh start)" if resumed and resumed.started_fresh else "(inferred)" if resumed else "-")
        mode = k.mode + ("*" if k.during_write else "")
        lines.append(f"{k.index:<5} {k.t_s:>7.2f}  {mode:<13} {_pos(obs.unit, k.position):<11} "
                     f"{(newest.name if newest else '(none)'):<28} {shown}")
    if any(k.during_write for k in obs.kills):
        lines.append("* landed while a checkpoint write was in progress")
    lines.append("")
    for c in result.checks:
        lines.append(f"{_MARK[c.verdict]} {c.title} [{c.id}]")
        lines += [f"     {line}" for line in c.evidence]
    lines.append("")
    lines.append(f"drill {'PASSED' if result.passed else 'FAILED'}: "
                 f"{sum(c.verdict == PASS for c in result.checks)} passed, "
                 f"{sum(c.verdict == FAIL for c in result.checks)} failed, "
                 f"{sum(c.verdict == SKIP for c in result.checks)} skipped")
    return "\n".join(lines)


def default_out(settings: DrillSettings) -> Path:
    """`<run_dir>/drill.json` when a run directory was given, else `artifacts/drill/latest.json` in the project."""
    return settings.run_dir / "drill.json" if settings.run_dir else settings.project / LATEST


def check_out_path(path: Path) -> None:
    """Refuse to overwrite a file that is not an earlier drill result."""
    if not path.exists():
        return
    if path.is_dir():
        raise DrillUsageError(f"--out {path} is a directory")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        data = None
    if not (isinstance(data, dict) and data.get("format") == RESULT_FORMAT):
        raise DrillUsageError(f"--out {path} exists and is not an {RESULT_FORMAT} result; it is left untouched")


def write_result(path: Path, document: Mapping[str, Any]) -> None:
    """Write the result atomically (temp file in the same folder, then rename)."""
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


__all__ = [
    "CHECKS", "Check", "DiskCheckpoint", "DrillResult", "DrillSettings", "DrillUsageError", "FinalComparison",
    "Kill", "Observations", "Session", "check_final_weights", "check_lost_work", "check_no_corrupt_loaded",
    "check_out_path", "check_resumed_from_newest", "check_run_finished", "compare_final", "default_out", "judge",
    "load_drill_table", "render_command", "render_text", "resolve_settings", "run_drill", "to_json", "write_result",
]  # fmt: skip
