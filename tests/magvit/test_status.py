"""`magvit status RUN_DIR`: progress, last checkpoint, and running / stalled / finished / ... exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from magvit.checkpoint import CheckpointManager
from magvit.cli import main
from magvit.progress import EventLog, ProgressReporter
from magvit.status import EXIT_CODES, NotARunDirError, read_status

REPO = Path(__file__).resolve().parents[2]

_TRAINER_CHILD = textwrap.dedent(
    """
    import sys, time
    from magvit.progress import EventLog, ProgressReporter
    run_dir = sys.argv[1]
    events = EventLog(run_dir)
    events.emit("run_start", pid=__import__("os").getpid(), resume="auto")
    reporter = ProgressReporter(run_dir, stage="tokenizer", epochs=2, total_steps=40,
                                heartbeat_interval_s=0.2, events=events)
    reporter.update(step=12, epoch=0, batch=12, losses={"train": 0.5}, write=True)
    print("started", flush=True)
    time.sleep(120)  # a long batch: only the heartbeat thread writes
    """
)


def start_trainer(run_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _TRAINER_CHILD, str(run_dir)], stdout=subprocess.PIPE, cwd=REPO)
    assert proc.stdout.readline().strip() == b"started"
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


def finished_run(run_dir: Path, state: str = "finished") -> None:
    events = EventLog(run_dir)
    events.emit("run_start", pid=os.getpid(), resume="auto")
    manager = CheckpointManager(run_dir / "checkpoints", events=events)
    reporter = ProgressReporter(run_dir, stage="tokenizer", epochs=2, total_steps=40, events=events, stream=open(os.devnull, "w"))
    reporter.update(step=40, epoch=1, batch=20, losses={"train": 0.25, "val": 0.3})
    kw = dict(epoch=1, batch_in_epoch=20, epochs=2, losses={"train": 0.25}, train_elapsed_s=9.0, stage="tokenizer")
    manager.save({"w": 1}, kind="periodic", step=20, **{**kw, "epoch": 0})
    reporter.checkpoint_saved(manager.save({"w": 2}, kind="final", step=40, **kw))
    reporter.close(state)
    events.emit("run_end", status=state, step=40)


def invoke(*args: str):
    return CliRunner().invoke(main, ["status", *args])


def test_finished_run_exits_0_and_shows_progress_and_last_checkpoint(tmp_path):
    finished_run(tmp_path)
    result = invoke(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "finished" in result.output
    assert "Epoch 2/2" in result.output and "Step 40/40 (100.0%)" in result.output
    assert "train 0.25" in result.output
    assert "Last checkpoint: final.pt" in result.output and "ago" in result.output


def test_json_output_for_programs(tmp_path):
    finished_run(tmp_path)
    result = invoke(str(tmp_path), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["state"] == "finished" and data["exit_code"] == 0
    assert data["step"] == 40 and data["total_steps"] == 40
    assert data["last_checkpoint"]["file"] == "final.pt"
    assert data["last_checkpoint"]["size_ok"] is True
    assert data["checkpoints"] == 2
    assert data["checkpoint_age_s"] >= 0


def test_running_run_with_a_live_pid_and_fresh_heartbeat_exits_10(tmp_path):
    proc = start_trainer(tmp_path)
    try:
        time.sleep(0.5)  # let a few heartbeats land
        result = invoke(str(tmp_path))
        status = read_status(tmp_path)
    finally:
        stop(proc)
    assert result.exit_code == 10, result.output
    assert "running" in result.output and f"pid {proc.pid}" in result.output
    assert status.state == "running" and status.pid_alive is True
    assert status.heartbeat_age_s is not None and status.heartbeat_age_s <= 3 * status.heartbeat_interval_s


def test_killed_trainer_without_run_end_is_stalled_exit_11(tmp_path):
    proc = start_trainer(tmp_path)
    proc.send_signal(signal.SIGKILL)
    stop(proc)
    result = invoke(str(tmp_path))
    assert result.exit_code == 11, result.output
    assert "stalled" in result.output and "not running" in result.output


def test_live_pid_with_old_heartbeat_is_stalled_exit_11(tmp_path):
    proc = start_trainer(tmp_path)
    try:
        later = time.time() + 5.0  # 3 x 0.2 s of heartbeat interval have long passed
        status = read_status(tmp_path, now=later)
    finally:
        stop(proc)
    assert status.state == "stalled" and status.exit_code == 11
    assert status.pid_alive is True
    assert "heartbeat" in status.reason


def test_preempted_run_exits_12_and_failed_run_exits_13(tmp_path):
    finished_run(tmp_path / "a", state="preempted")
    finished_run(tmp_path / "b", state="failed")
    assert invoke(str(tmp_path / "a")).exit_code == 12
    assert invoke(str(tmp_path / "b")).exit_code == 13


def test_run_end_event_wins_over_a_stale_progress_state(tmp_path):
    proc = start_trainer(tmp_path)
    stop(proc)
    EventLog(tmp_path).emit("run_end", status="failed", step=12)
    assert read_status(tmp_path).state == "failed"


def test_a_new_session_starting_after_a_preempted_one_is_running(tmp_path):
    finished_run(tmp_path, state="preempted")
    # the next session has recorded run_start but not yet rewritten progress.json
    EventLog(tmp_path).emit("run_start", pid=os.getpid(), resume="auto")
    status = read_status(tmp_path)
    assert status.state == "running", status.reason
    assert status.pid == os.getpid() and status.pid_alive is True
    assert status.step == 40  # the facts shown are the last ones written


@pytest.mark.parametrize("setup", ["empty", "missing", "file"])
def test_not_a_run_directory_exits_2(tmp_path, setup):
    target = tmp_path / "run"
    if setup == "empty":
        target.mkdir()
    elif setup == "file":
        target.write_text("hello")
    result = invoke(str(target))
    assert result.exit_code == 2
    assert "not a run directory" in result.output and str(target) in result.output
    with pytest.raises(NotARunDirError):
        read_status(target)


def test_corrupt_progress_json_exits_2_naming_the_file(tmp_path):
    (tmp_path / "progress.json").write_text('{"format": "magvit-progress/1", "sta')
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "progress.json" in result.output


def test_exit_codes_are_documented_in_the_help():
    result = CliRunner().invoke(main, ["status", "--help"])
    assert result.exit_code == 0
    for state, code in EXIT_CODES.items():
        assert f"{code} {state}" in " ".join(result.output.split())


@pytest.mark.parametrize("wall_time", [1.065649557018674e16, float("nan")])
def test_a_manifest_with_an_impossible_wall_time_is_skipped_not_a_crash(tmp_path, wall_time):
    """A manifest whose wall time no calendar holds (found by the parser fuzzing) is unusable,
    like any other damaged manifest: `magvit status` reports the rest of the run."""
    finished_run(tmp_path)
    manifest = tmp_path / "checkpoints" / "final.json"
    data = json.loads(manifest.read_text())
    data.update(wall_time=wall_time, saved_at={})
    manifest.write_text(json.dumps(data))
    result = invoke(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "finished" in result.output and "step-00000020.pt" in result.output


def test_a_relative_run_directory_is_read_like_an_absolute_one(tmp_path, monkeypatch):
    """The main job passes results/magvit_training: the files are read from that folder, not from
    the folder joined to itself (a relative path was taken relative to the run directory)."""
    finished_run(tmp_path / "runs" / "r")
    monkeypatch.chdir(tmp_path)
    result = invoke("runs/r")
    assert result.exit_code == 0, result.output
    assert read_status(Path("runs/r")).state == "finished"
