"""Heartbeat records as trainers write them: a heartbeat file whose lines start with the Unix time
(`f"{time.time():.3f} alive step={step}"`, the shortest heartbeat writer there is) or JSON lines
holding it as a number (`{"ts": 1796341734.9, "step": 50}`); and a log line that only announces
where the heartbeat will be written (`heartbeat every 30s -> runs/x/heartbeat`) is no record:
the word in a path names a file, not a beat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."
T0 = 1796341734.946  # 2026-12-03 23:48:54 UTC


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")


def probe(name: str, root: Path, run: Path, **params):
    return PROBES[name](Evidence(ProjectConfig(root=root), run), **params)


def _train_log() -> str:
    return "".join(f"2026-12-03 23:49:{s:02d},000 INFO step {s * 10} loss 0.5\n" for s in range(0, 60, 15))


@pytest.mark.parametrize("stamp", [lambda t: f"{t:.3f}", lambda t: f"{int(t)}", lambda t: f"[{t:.6f}]",
                                   lambda t: f"{int(t * 1000)}"])
def test_heartbeat_lines_that_start_with_the_unix_time_are_timed_records(tmp_path, stamp):
    beats = "".join(f"{stamp(T0 + 15 * i)} alive step={50 * (i + 1)}\n" for i in range(5))
    write(tmp_path, {"out/step_000120.pt": PICKLE, "out/train.log": _train_log(), "out/heartbeat.log": beats})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict == Verdict.YES and r.measured["heartbeats"] == 5, r.summary


def test_json_heartbeat_lines_with_a_numeric_time_are_timed_records(tmp_path):
    beats = "".join(json.dumps({"ts": T0 + 20 * i, "step": 10 * i}) + "\n" for i in range(4))
    write(tmp_path, {"out/step_000120.pt": PICKLE, "out/train.log": _train_log(), "out/heartbeat.jsonl": beats})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict == Verdict.YES and r.measured["heartbeats"] == 4, r.summary


def test_unix_times_too_far_apart_are_measured_as_such(tmp_path):
    beats = "".join(f"{T0 + 200 * i:.3f} alive\n" for i in range(3))
    write(tmp_path, {"out/step_000120.pt": PICKLE, "out/train.log": _train_log(), "out/heartbeat.log": beats})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict != Verdict.YES, r.summary


def test_a_leading_count_is_no_unix_time(tmp_path):
    beats = "".join(f"{50 * (i + 1)} alive\n" for i in range(3))
    write(tmp_path, {"out/step_000120.pt": PICKLE, "out/train.log": _train_log(), "out/heartbeat.log": beats})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out", max_s=60)
    assert r.verdict != Verdict.YES, r.summary


@pytest.mark.parametrize("line, beat", [
    ("2026-12-03 23:50:37,891 INFO meterfc.callbacks: heartbeat every 30s -> runs/meter/heartbeat", False),
    ("2026-12-03 23:50:37,891 INFO heartbeat file: runs/meter/heartbeat.json", False),
    ("2026-12-03 23:50:37,891 INFO writing liveness to out\\heartbeat", False),
    ("2026-12-03 23:50:37,891 INFO heartbeat written to runs/meter/heartbeat.json", True),
    ("2026-12-03 23:50:37,891 INFO [heartbeat] alive at step 40", True),
])
def test_the_word_in_a_path_names_a_file_not_a_beat(line, beat):
    from auditor.evidence.runside import heartbeat_line

    assert heartbeat_line(line) is beat


def test_a_log_that_only_announces_the_heartbeat_file_has_no_heartbeat(tmp_path):
    log = ("2026-12-03 23:50:36,556 INFO command: train.py --config config.yaml\n"
           "2026-12-03 23:50:37,891 INFO callbacks: heartbeat every 30s -> runs/meter/heartbeat\n"
           + "".join(f"2026-12-03 23:50:{40 + 3 * i},000 INFO epoch 1 batch {10 * i} train_loss 0.4\n" for i in range(5))
           + "2026-12-03 23:52:51,000 INFO command: train.py --config config.yaml\n"
           "2026-12-03 23:52:52,650 INFO callbacks: heartbeat every 30s -> runs/meter/heartbeat\n")
    write(tmp_path, {"runs/meter/checkpoints/params.pt": PICKLE, "runs/meter/train.log": log})
    r = probe("run.heartbeat", tmp_path, tmp_path / "runs/meter", max_s=60)
    assert r.verdict == Verdict.NO, r.summary
