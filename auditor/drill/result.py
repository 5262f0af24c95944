"""The drill result, `audit-drill/1` (docs/drill.md): the in-memory `DrillResult`, its JSON
document, where it is written, and the one reader of a written result, used by the gate,
by run evidence and by `audit drill --out` before it overwrites anything."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from auditor import safeio
from auditor.atomic import write_atomic
from auditor.drill.observations import Check, Kill, Observations, Session
from auditor.drill.paths import LATEST, result_paths  # noqa: F401 (result_paths re-exported)
from auditor.drill.settings import DrillSettings, DrillUsageError
from auditor.model import FAIL, PASS

RESULT_FORMAT = "audit-drill/1"


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


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        read_record(path)
    except DrillRecordError:
        raise DrillUsageError(f"--out {path} exists and is not an {RESULT_FORMAT} result; it is left untouched") \
            from None


def write_result(path: Path, document: Mapping[str, Any]) -> None:
    """Write the result atomically (temp file in the same folder, then rename)."""
    write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------- reading a written result


class DrillRecordError(ValueError):
    """A file that is not a readable drill result; the message names it and says why."""


@dataclass(frozen=True)
class RecordedCheck:
    """One check of a written drill result: its id, title, verdict and evidence lines."""

    id: str
    title: str
    verdict: str  # pass | fail | skip
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class DrillRecord:
    """What the gate and the audit need of a written `audit-drill/1` result."""

    verdict: str  # pass | fail
    started_at: str
    finished_at: str
    code_version: str | None
    kills: int
    checks: tuple[RecordedCheck, ...]

    def check(self, check_id: str) -> RecordedCheck | None:
        return next((c for c in self.checks if c.id == check_id), None)


def record_of(document: Mapping[str, Any], shown: str) -> DrillRecord:
    """The record of an `audit-drill/1` document; DrillRecordError when it is not one."""
    if not isinstance(document, Mapping) or document.get("format") != RESULT_FORMAT:
        raise DrillRecordError(f"{shown}: not an {RESULT_FORMAT} result (field 'format')")
    checks = []
    for c in document.get("checks") or []:
        if isinstance(c, Mapping) and isinstance(c.get("id"), str):
            evidence = c.get("evidence") if isinstance(c.get("evidence"), list) else []
            checks.append(RecordedCheck(c["id"], str(c.get("title", c["id"])), str(c.get("verdict")),
                                        tuple(str(x) for x in evidence)))
    version = document.get("code_version")
    kills = document.get("kills")
    return DrillRecord(str(document.get("verdict")), str(document.get("started_at", "")),
                       str(document.get("finished_at", "?")), version if isinstance(version, str) else None,
                       len(kills) if isinstance(kills, list) else 0, tuple(checks))


def read_record(path: Path, within: safeio.Root | None = None, shown: str | None = None) -> DrillRecord:
    """The drill result written at `path` (read through the auditor's bounded reader)."""
    shown = shown or str(path)
    try:
        document = safeio.read_json(path, within=within, shown=shown)
    except safeio.READ_ERRORS as exc:
        raise DrillRecordError(f"unreadable drill result: {safeio.describe(exc, shown)}") from None
    return record_of(document, shown)


