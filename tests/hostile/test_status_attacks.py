"""`magvit status` on hostile run directories: the same bounded readers (auditor.safeio) give a
bounded, clear answer with no traceback. Measured in a child process (conftest.run_child)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from .conftest import run_child, sparse

GIB = 1024**3


def _status(run: Path):
    return run_child([sys.executable, "-m", "magvit", "status", str(run)], cwd=run.parent)


def _bounded(seconds: float, rss_mb: float) -> None:
    assert seconds < 10, f"magvit status took {seconds:.1f} s"
    assert rss_mb < 300, f"magvit status peaked at {rss_mb:.0f} MB"


def _start_event() -> bytes:
    return (json.dumps({"ts": time.time(), "event": "run_start", "pid": 2**30, "resume": "auto"}) + "\n").encode()


def test_a_10_gb_sparse_events_file_is_read_from_its_end(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    sparse(run / "events.jsonl", 10 * GIB, tail=b"\n" + _start_event())
    code, out, err, seconds, rss = _status(run)
    _bounded(seconds, rss)
    assert code == 11 and "not running" in out, (out, err)  # the pid of its last run_start is gone: stalled
    assert "Traceback" not in err


def test_an_events_file_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").symlink_to("/dev/zero")
    code, out, err, seconds, rss = _status(run)
    _bounded(seconds, rss)
    assert code == 2 and "events.jsonl: links outside the run directory" in err, err
    assert "Traceback" not in err


def test_a_1_gb_manifest_is_refused_unread(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "events.jsonl").write_bytes(_start_event())
    sparse(run / "checkpoints" / "step-00000002.json", GIB, head=b'{"format": "magvit-checkpoint/1", "x": "')
    code, out, err, seconds, rss = _status(run)
    _bounded(seconds, rss)
    assert code == 11 and "Checkpoints with a manifest: 0" in out, (out, err)
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [os.urandom(4096), b"\xff\xfe" + b"\x00" * 100, b"[" * 30000])
def test_random_bytes_or_deep_json_in_progress_is_a_clear_exit_2(tmp_path: Path, content: bytes) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.json").write_bytes(content)
    code, out, err, seconds, rss = _status(run)
    _bounded(seconds, rss)
    assert code == 2 and "progress.json" in err and "Traceback" not in err, err


def test_escape_sequences_in_progress_never_reach_the_terminal(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.json").write_text(json.dumps({"state": "finished", "stage": "tok\x1b]0;pwned\x07",
                                                   "updated_at": "\x1b[2J", "pid": 1}), encoding="utf-8")
    code, out, err, seconds, rss = _status(run)
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "\\x1b]0;pwned" in out, out
