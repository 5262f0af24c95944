"""Auditing a run while it writes: never a crash, and a save in progress is in progress, not corrupt.

A real tiny training run saves a checkpoint every step in a subprocess. While it runs, the
test audits it again and again (`audit check --run` through CliRunner, the run evidence,
`magvit status`). Once, it catches the trainer in the middle of a checkpoint write (a
`.tmp-*` file in checkpoints/), freezes it there with SIGSTOP, audits the frozen state, and
lets it go on with SIGCONT.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main as audit_main
from auditor.config import ProjectConfig
from auditor.evidence import run as run_evidence
from magvit.status import read_status

from .conftest import PYTHON, ROOT, child_env

# real trainer processes, seconds each: CI runs them; the developer loop (-m "not slow") leaves them out
pytestmark = pytest.mark.slow


def _tmp_files(run: Path) -> list[Path]:
    folder = run / "checkpoints"
    try:
        return [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    except FileNotFoundError:
        return []


def test_auditing_a_run_while_it_writes(tmp_path: Path, tiny_data: Path) -> None:
    run = tmp_path / "run"
    project = tmp_path / "project"
    project.mkdir()
    trainer = subprocess.Popen(
        [PYTHON, "-m", "magvit", "train", "--data", str(tiny_data), "--run-dir", str(run), "--config",
         "magvit/configs/tiny.yaml", "--checkpoint-every", "1steps", "--epochs", "16"],
        cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    audits, statuses, frozen, next_cli = [], set(), None, 0.0
    try:
        while trainer.poll() is None:
            if frozen is None and (tmp := _tmp_files(run)):
                os.killpg(trainer.pid, signal.SIGSTOP)  # caught mid-write: audit exactly this state
                try:
                    if all(p.exists() for p in tmp):
                        ev = run_evidence.collect(ProjectConfig(root=project), run)
                        frozen = {c.file: c.status for c in ev.checkpoints}, [f"checkpoints/{p.name}" for p in tmp]
                        result = CliRunner().invoke(audit_main, ["check", "--project", str(project), "--run",
                                                                 str(run), "--format", "json"])
                        audits.append((result.exit_code, result.output[-300:]))
                finally:
                    os.killpg(trainer.pid, signal.SIGCONT)
                continue
            if not (run / "events.jsonl").exists():
                time.sleep(0.005)
                continue
            try:  # back-to-back reads race the trainer's renames and purges hardest
                ev = run_evidence.collect(ProjectConfig(root=project), run)
            except Exception as exc:  # noqa: BLE001 - any exception here is the failure under test
                raise AssertionError(f"run evidence failed on a live run: {exc!r}") from exc
            statuses.update((c.file, c.status) for c in ev.checkpoints)
            if time.monotonic() < next_cli:
                continue
            next_cli = time.monotonic() + 0.5
            result = CliRunner().invoke(audit_main, ["check", "--project", str(project), "--run", str(run),
                                                     "--format", "json"])
            audits.append((result.exit_code, result.output[-300:]))
            try:
                assert read_status(run).exit_code in (10, 0, 11)
            except Exception as exc:  # noqa: BLE001 - any exception here is the failure under test
                raise AssertionError(f"magvit status failed on a live run: {exc!r}") from exc
    finally:
        if trainer.poll() is None:
            os.killpg(trainer.pid, signal.SIGKILL)
        output = trainer.communicate(timeout=60)[0].decode(errors="replace")

    assert trainer.returncode == 0, output
    assert len(audits) >= 3, "the run ended before it could be audited a few times"
    assert all(code in (0, 1) for code, _ in audits), [a for a in audits if a[0] not in (0, 1)]
    corrupt = sorted(f for f, s in statuses if s == "corrupt")
    assert not corrupt, f"checkpoints reported corrupt while being written: {corrupt}"

    assert frozen is not None, "never caught a checkpoint write in progress"
    seen, tmp = frozen
    for name in tmp:
        assert seen.get(name) == "in_progress", (name, seen)
    assert "corrupt" not in seen.values(), seen
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == "finished"
