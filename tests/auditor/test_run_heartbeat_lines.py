"""Heartbeat records in a run's log: a line that reports a beat (`heartbeat at step 20`,
`[heartbeat] alive`), not a line that echoes a setting named for the heartbeat
(`Namespace(..., heartbeat_interval=30.0)`, `--heartbeat-interval 30`, `heartbeat every 30s`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")


def probe(name: str, root: Path, run: Path, **params):
    return PROBES[name](Evidence(ProjectConfig(root=root), run), **params)


@pytest.mark.parametrize("line, beat", [
    ("2026-01-01 10:00:00 | INFO | train | Namespace(data='d', lr=0.001, heartbeat_interval=30.0)", False),
    ("2026-01-01 10:00:00 | INFO | train | command line: train.py --heartbeat-interval 30", False),
    ("2026-01-01 10:00:00 Training for 14 epochs, checkpoint every 120s, heartbeat every 30s", False),
    ("2026-01-01 10:00:00 config: {'heartbeat': 30, 'lr': 0.1}", False),
    ("2026-01-01 10:00:00 heartbeat step=20 pid=411", True),
    ("2026-01-01 10:00:00 [heartbeat] alive at step 40", True),
    ("2026-01-01 10:00:00 INFO heartbeat: still alive", True),
])
def test_a_heartbeat_line_reports_a_beat_not_a_setting(line, beat):
    from auditor.evidence.runside import heartbeat_line

    assert heartbeat_line(line) is beat


def test_a_configuration_echo_naming_the_heartbeat_interval_is_no_heartbeat_record(tmp_path):
    banner = ("2026-01-01 10:00:{s:02d} | INFO | train | Namespace(data='d', lr=0.001, save_dir='out', "
              "heartbeat_interval=30.0)\n")
    step = "2026-01-01 10:00:{s:02d} | INFO | train_inner | step {i} loss=0.5\n"
    log = (banner.format(s=0) + step.format(s=5, i=25) + step.format(s=10, i=50)
           + banner.format(s=30) + step.format(s=35, i=75))
    write(tmp_path, {"out/checkpoint_1_50.pt": PICKLE, "out/train.log": log})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict == Verdict.NO, r.summary


def test_heartbeat_lines_in_a_log_are_records(tmp_path):
    log = "".join(f"2026-01-01 10:00:{s:02d} heartbeat step={s} pid=7\n" for s in (0, 10, 20))
    write(tmp_path, {"out/checkpoint_1_50.pt": PICKLE, "out/train.log": log})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict == Verdict.YES and r.measured["heartbeats"] == 3
