"""`audit tdd record`: run a test command and keep a structured record of the TDD phase.

The record (JSON) and the JUnit XML it summarises go to artifacts/tdd/, named
`<UTC time>-<feature>-<phase>.{json,xml}` so that their order is their names' order.
The format is described in docs/auditor-design.md ("TDD artifacts").
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from auditor.atomic import write_atomic
from auditor.junit import TestCaseResult, count_outcomes, read_junit

PHASES = ("red", "green", "refactor")
FORMAT = "audit-tdd/1"


class RecordError(Exception):
    """The command could not be run or recorded (a usage problem, exit code 2)."""


@dataclass(frozen=True)
class PhaseRecord:
    """One recorded TDD phase: the JSON record written and whether the test run met what the phase expects."""

    path: Path  # the JSON record written
    record: dict
    meets_phase: bool  # red: some test failed; green/refactor: every test passed
    reason: str


def _git_commit(cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _judge(phase: str, counts: dict[str, int]) -> tuple[bool, str]:
    bad = counts["failed"] + counts["errors"] + counts["timed_out"]
    total = sum(counts.values())
    if total == 0:
        return False, f"{phase} phase ran no test"
    if phase == "red":
        if bad == 0:
            return False, "red phase expects at least one failing test, but every test passed"
        return True, f"red: {bad} failing of {total}"
    if bad:
        return False, f"{phase} phase expects every test to pass, but {bad} of {total} did not"
    return True, f"{phase}: {counts['passed']} passed"


def record_phase(phase: str, feature: str, command: list[str], *, cwd: Path,
                 out_dir: Path | None = None) -> PhaseRecord:
    """Run `command` (a pytest invocation), add --junitxml, and write the phase record."""
    if phase not in PHASES:
        raise RecordError(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", feature):
        raise RecordError(f"feature name {feature!r} must be letters, digits, '.', '_' or '-'")
    if not command:
        raise RecordError("no test command given after --")
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        raise RecordError(f"test command not found: {command[0]}")
    out_dir = Path(out_dir or cwd / "artifacts" / "tdd")
    out_dir.mkdir(parents=True, exist_ok=True)
    started = _utc_now()
    stem = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{feature}-{phase}"
    junit_path = out_dir / f"{stem}.xml"
    record_path = out_dir / f"{stem}.json"
    if record_path.exists() or junit_path.exists():
        raise RecordError(f"{record_path} already exists; wait a second and record again")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_junit = Path(tmp) / "junit.xml"
        proc = subprocess.run([*command, f"--junitxml={tmp_junit}"], cwd=cwd)
        finished = _utc_now()
        if not tmp_junit.exists():
            raise RecordError(f"the command wrote no JUnit XML (exit code {proc.returncode}); is it a pytest command?")
        cases: list[TestCaseResult] = read_junit(tmp_junit)
        write_atomic(junit_path, tmp_junit.read_bytes())
    counts = count_outcomes(cases)
    meets, reason = _judge(phase, counts)
    record = {
        "format": FORMAT,
        "phase": phase,
        "feature": feature,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "git_commit": _git_commit(cwd),
        "command": command,
        "exit_code": proc.returncode,
        "junit": junit_path.name,
        "counts": counts,
        "tests": [{"id": c.id, "outcome": c.outcome, "duration_s": round(c.duration_s, 3)} for c in cases],
    }
    write_atomic(record_path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return PhaseRecord(record_path, record, meets, reason)
