"""ProgressReporter and EventLog: progress files, train.log, heartbeat thread, events."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from magvit.atomic import TMP_PREFIX
from magvit.checkpoint import CheckpointManager
from magvit.progress import PROGRESS_FIELDS, EventLog, ProgressReporter, read_events

REPO = Path(__file__).resolve().parents[2]


def make_reporter(tmp_path: Path, **kw) -> ProgressReporter:
    kw.setdefault("stage", "tokenizer")
    kw.setdefault("epochs", 5)
    kw.setdefault("total_steps", 100)
    kw.setdefault("heartbeat_interval_s", 15.0)
    kw.setdefault("stream", io.StringIO())
    return ProgressReporter(tmp_path, **kw)


def read_progress(run_dir: Path) -> dict:
    return json.loads((run_dir / "progress.json").read_text())


# --- EventLog ---------------------------------------------------------------------------


def test_event_log_appends_one_object_a_line_with_ts(tmp_path):
    events = EventLog(tmp_path)
    events.emit("run_start", pid=12, resume="auto")
    events.emit("run_end", status="finished", step=3)
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["run_start", "run_end"]
    first = json.loads(lines[0])
    assert first["pid"] == 12 and first["resume"] == "auto" and isinstance(first["ts"], float)


def test_event_log_reader_skips_a_torn_last_line(tmp_path):
    events = EventLog(tmp_path)
    events.emit("heartbeat", step=1, heartbeat_interval_s=15.0)
    with open(tmp_path / "events.jsonl", "a") as handle:
        handle.write('{"ts": 1.0, "event": "heartb')
    assert [e["event"] for e in read_events(tmp_path / "events.jsonl")] == ["heartbeat"]


def test_event_log_lines_stay_whole_under_concurrent_writers(tmp_path):
    events = EventLog(tmp_path)

    def writer(tag: str) -> None:
        for i in range(50):
            events.emit("heartbeat", step=i, tag=tag, pad="x" * 500)

    threads = [threading.Thread(target=writer, args=(t,)) for t in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert len(lines) == 150
    assert all(json.loads(line)["event"] == "heartbeat" for line in lines)


# --- progress files ---------------------------------------------------------------------


def test_start_writes_progress_json_with_every_contract_field(tmp_path):
    reporter = make_reporter(tmp_path)
    reporter.start()
    try:
        data = read_progress(tmp_path)
    finally:
        reporter.close("finished")
    assert set(PROGRESS_FIELDS) <= set(data)
    assert data["format"] == "magvit-progress/1"
    assert data["state"] == "running"
    assert data["pid"] == os.getpid()
    assert (data["stage"], data["epoch"], data["epochs"], data["step"], data["total_steps"]) == (
        "tokenizer", 1, 5, 0, 100,
    )  # fmt: skip
    assert data["percent"] == 0.0 and data["last_checkpoint"] is None
    assert data["heartbeat_interval_s"] == 15.0
    assert data["updated_at"].endswith("Z")
    assert abs(data["updated_time"] - time.time()) < 60
    assert data["heartbeat_time"] >= data["started_time"]


def test_update_and_checkpoint_saved_show_in_both_files(tmp_path):
    now = [1000.0]
    reporter = make_reporter(tmp_path, clock=lambda: now[0])
    reporter.start()
    try:
        reporter.update(step=10, epoch=0, batch=10, losses={"train": 0.9})
        now[0] = 1010.0
        reporter.update(step=30, epoch=1, batch=5, losses={"train": 0.5, "val": 0.75}, throughput_clips_per_s=24.0)
        manager = CheckpointManager(tmp_path / "checkpoints")
        kw = dict(epoch=1, batch_in_epoch=5, epochs=5, losses={"train": 0.5}, train_elapsed_s=10.0, stage="tokenizer")
        manifest = manager.save({"w": 1}, kind="periodic", step=30, **kw)
        now[0] = 1020.0
        reporter.checkpoint_saved(manifest)
        data = read_progress(tmp_path)
        text = (tmp_path / "PROGRESS.txt").read_text()
    finally:
        reporter.close("finished")
    assert (data["step"], data["epoch"], data["percent"]) == (30, 2, 30.0)
    assert data["losses"] == {"train": 0.5, "val": 0.75}
    assert data["throughput_clips_per_s"] == 24.0
    # 20 steps in 10 s of this session: 70 steps left take 35 s
    assert data["eta_s"] == pytest.approx(35.0)
    assert data["last_checkpoint"]["file"] == "step-00000030.pt"
    assert data["last_checkpoint"]["step"] == 30
    assert data["last_checkpoint"]["saved_at"] == manifest.saved_at
    assert data["last_checkpoint"]["wall_time"] == manifest.wall_time
    assert "Epoch 2/5" in text
    assert "Step 30/100 (30.0%)" in text
    assert "train 0.5" in text and "val 0.75" in text
    assert "24.0 clips/s" in text
    assert "ETA: 35s" in text
    assert "Last checkpoint: step-00000030.pt (step 30" in text
    assert "ago)" in text
    assert "Updated: " in text


def test_progress_files_are_replaced_atomically_while_a_reader_polls(tmp_path):
    reporter = make_reporter(tmp_path, heartbeat_interval_s=0.01)
    reporter.start()
    failures, reads = [], [0]
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                json.loads((tmp_path / "progress.json").read_text())
                reads[0] += 1
            except ValueError as exc:  # a partial file would not parse
                failures.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for step in range(200):
            reporter.update(step=step, epoch=0, batch=step, losses={"train": 1.0}, write=True)
    finally:
        stop.set()
        thread.join()
        reporter.close("finished")
    assert failures == [] and reads[0] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_close_records_the_final_state_and_is_idempotent(tmp_path):
    reporter = make_reporter(tmp_path)
    reporter.start()
    reporter.update(step=100, epoch=4, batch=20, losses={"train": 0.1})
    reporter.close("finished")
    reporter.close("finished")
    data = read_progress(tmp_path)
    assert data["state"] == "finished" and data["percent"] == 100.0 and data["eta_s"] == 0.0
    assert "finished" in (tmp_path / "PROGRESS.txt").read_text()


def test_close_rejects_an_unknown_state(tmp_path):
    reporter = make_reporter(tmp_path)
    with pytest.raises(ValueError, match="state"):
        reporter.close("done")


@pytest.mark.parametrize("interval", [0, -1, 31, float("nan")])
def test_heartbeat_interval_must_be_positive_and_at_most_30s(tmp_path, interval):
    with pytest.raises(ValueError, match="heartbeat_interval_s"):
        make_reporter(tmp_path, heartbeat_interval_s=interval)


def test_a_failing_disk_does_not_stop_training_through_update(tmp_path, monkeypatch, caplog):
    import errno
    import logging

    import magvit.progress as progress_module

    reporter = make_reporter(tmp_path)
    reporter.start()

    def full_disk(path, obj):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(progress_module, "atomic_write_json", full_disk)
    with caplog.at_level(logging.WARNING, logger="magvit.progress"):
        reporter.update(step=3, epoch=0, batch=3, losses={"train": 1.0}, write=True)
        reporter.checkpoint_saved({"file": "step-00000003.pt", "saved_at": "x", "wall_time": 1.0, "step": 3})
        reporter.close("finished")
    assert "No space left" in caplog.text
    assert read_progress(tmp_path)["step"] == 0  # the last good file is still there, whole


# --- batch log --------------------------------------------------------------------------


def test_should_log_every_n_steps(tmp_path):
    reporter = make_reporter(tmp_path, log_every=5)
    assert [s for s in range(1, 16) if reporter.should_log(s)] == [5, 10, 15]


def test_log_batch_writes_train_log_and_stdout(tmp_path):
    stream = io.StringIO()
    reporter = make_reporter(tmp_path, stream=stream)
    reporter.log_batch(step=10, epoch=1, batch=3, batches_per_epoch=8, losses={"train": 0.25}, throughput_clips_per_s=12.5)
    reporter.log_batch(step=20, epoch=1, batch=8, batches_per_epoch=8, losses={"train": 0.125})
    reporter.close("finished")
    lines = (tmp_path / "train.log").read_text().splitlines()
    assert len(lines) == 2
    assert "epoch=2/5" in lines[0] and "batch=3/8" in lines[0] and "step=10/100" in lines[0]
    assert "loss.train=0.25" in lines[0] and "clips_per_s=12.5" in lines[0]
    assert lines[0].split()[0].endswith("Z")
    assert stream.getvalue().splitlines() == lines  # not a TTY: the same lines, no bar


def test_log_batch_draws_a_bar_only_on_a_tty(tmp_path):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    reporter = make_reporter(tmp_path, stream=stream)
    reporter.log_batch(step=50, epoch=0, batch=1, losses={"train": 1.0})
    reporter.close("finished")
    assert "[" in stream.getvalue() and "50.0%" in stream.getvalue()
    assert "[" not in (tmp_path / "train.log").read_text().split("Z", 1)[1]


# --- heartbeat --------------------------------------------------------------------------


def test_heartbeat_thread_keeps_writing_while_the_main_thread_is_busy(tmp_path):
    events = EventLog(tmp_path)
    reporter = make_reporter(tmp_path, heartbeat_interval_s=0.2, events=events)
    reporter.start()
    reporter.update(step=7, epoch=0, batch=7, losses={"train": 1.0})
    seen = []
    for _ in range(4):
        time.sleep(0.35)  # one "batch" longer than the heartbeat interval
        seen.append(read_progress(tmp_path)["heartbeat_time"])
    reporter.close("finished")
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    beats = [e for e in events.read() if e["event"] == "heartbeat"]
    assert len(beats) >= 4
    assert all(b["step"] == 7 and b["heartbeat_interval_s"] == 0.2 for b in beats)
    assert not reporter.heartbeat_alive
    count = len(beats)
    time.sleep(0.5)
    assert len([e for e in events.read() if e["event"] == "heartbeat"]) == count


def test_no_heartbeat_is_written_or_recorded_once_stop_heartbeat_returns(tmp_path):
    events = EventLog(tmp_path)
    reporter = make_reporter(tmp_path, heartbeat_interval_s=0.02, events=events)
    reporter.start()
    time.sleep(0.3)
    reporter.stop_heartbeat()
    beats = len([e for e in events.read() if e["event"] == "heartbeat"])
    stamped = read_progress(tmp_path)["heartbeat_time"]
    assert beats >= 2 and not reporter.heartbeat_alive
    time.sleep(0.3)  # fifteen intervals: the stopped thread neither beats nor records
    assert len([e for e in events.read() if e["event"] == "heartbeat"]) == beats
    assert read_progress(tmp_path)["heartbeat_time"] == stamped
    reporter.close("finished")
    assert read_progress(tmp_path)["state"] == "finished"


_BUSY_CHILD = textwrap.dedent(
    """
    import sys, time
    from magvit.progress import EventLog, ProgressReporter
    run_dir = sys.argv[1]
    reporter = ProgressReporter(run_dir, stage="tokenizer", epochs=1, total_steps=10,
                                heartbeat_interval_s=0.2, events=EventLog(run_dir))
    reporter.start()
    reporter.update(step=1, epoch=0, batch=1, losses={"train": 1.0})
    print("started", flush=True)
    end = time.monotonic() + 60
    x = 0
    while time.monotonic() < end:  # one long CPU-bound batch that never returns
        x += 1
    """
)


def test_heartbeat_advances_in_a_real_process_stuck_in_one_long_batch(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _BUSY_CHILD, str(tmp_path)], stdout=subprocess.PIPE, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == b"started"
        first = read_progress(tmp_path)
        time.sleep(1.2)
        second = read_progress(tmp_path)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert first["pid"] == proc.pid
    assert second["heartbeat_time"] > first["heartbeat_time"]
    assert second["step"] == 1 and second["state"] == "running"
    assert len([e for e in read_events(tmp_path / "events.jsonl") if e["event"] == "heartbeat"]) >= 3


# A real training run whose heartbeat thread is slow to record a tick made as the session ends
# (as a thread descheduled between its tick and its record is, on a loaded machine): once the
# final checkpoint is recorded, the main thread pauses for several heartbeat intervals, and a
# heartbeat record waits until run_end is written (2 s at most).
_SLOW_BEAT_CHILD = textwrap.dedent(
    """
    import sys, threading, time
    from magvit import progress
    from magvit.cli import main

    ending, run_end_written = threading.Event(), threading.Event()
    emit = progress.EventLog.emit

    def emit_with_a_slow_heartbeat(self, event, **fields):
        if event == "heartbeat" and ending.is_set():
            run_end_written.wait(2.0)
        record = emit(self, event, **fields)
        if event == "run_end":
            run_end_written.set()
        elif event == "checkpoint_saved" and fields.get("kind") == "final":
            ending.set()
            time.sleep(0.3)  # a tick begins meanwhile
        return record

    progress.EventLog.emit = emit_with_a_slow_heartbeat
    main(["train", "--data", sys.argv[1], "--run-dir", sys.argv[2], "--config", sys.argv[3]])
    """
)


@pytest.mark.slow
def test_run_end_is_the_last_event_even_when_a_heartbeat_is_late_to_record(tmp_path, data):
    config = tmp_path / "fast_beat.yaml"
    text = (REPO / "magvit" / "configs" / "tiny.yaml").read_text()
    config.write_text(text.replace("heartbeat_interval_s: 1.0", "heartbeat_interval_s: 0.05").replace("epochs: 3",
                                                                                                       "epochs: 1"))
    run_dir = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _SLOW_BEAT_CHILD, str(data), str(run_dir), str(config)], cwd=REPO,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    names = [e["event"] for e in read_events(run_dir / "events.jsonl")]
    assert "heartbeat" in names and names.count("run_end") == 1, names
    assert names[-1] == "run_end", names[names.index("run_end"):]
