"""The run in time (auditor.evidence.history): sessions, saves, heartbeats and metric series."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.config import load_config
from auditor.evidence.run import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OURS = FIXTURES / "compliant_run"
FOREIGN = FIXTURES / "foreign_restart_project"


def _events(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def test_our_run_every_recorded_save_is_on_the_timeline_with_purged_ones_marked() -> None:
    history = collect(load_config(FIXTURES), OURS).history
    saved = [e for e in _events(OURS) if e["event"] == "checkpoint_saved"]
    assert len(history.saves) == len(saved) > 3
    assert [s.time for s in history.saves] == sorted(e["ts"] for e in saved)
    assert {s.kind for s in history.saves} == {"periodic", "best", "final"}
    on_disk = {p.name for p in (OURS / "checkpoints").glob("*.pt")}
    for s in history.saves:
        assert s.source.startswith("events.jsonl:")
        assert (s.status == "valid") == (Path(s.file).name in on_disk), s
    assert "purged" in {s.status for s in history.saves}  # retention removed the oldest periodic ones


def test_our_run_has_a_killed_session_then_a_resumed_one_that_finished() -> None:
    history = collect(load_config(FIXTURES), OURS).history
    events = _events(OURS)
    starts = [e["ts"] for e in events if e["event"] == "run_start"]
    resumed = next(e for e in events if e["event"] == "resumed_from")
    first, second = history.sessions
    assert (first.start, second.start) == tuple(starts)
    assert first.ended == "killed" and first.end < second.start
    assert first.end == max(e["ts"] for e in events if e["ts"] < starts[1])
    assert second.ended == "finished"
    assert second.resumed_from == f"{resumed['file']} at step {resumed['step']}"
    assert second.resume_time == resumed["ts"]
    assert not first.from_scratch and not second.from_scratch


def test_our_run_metrics_come_from_train_log_and_best_updated_events() -> None:
    history = collect(load_config(FIXTURES), OURS).history
    by_name = {s.name: s for s in history.metrics}
    train = by_name["train loss"]
    logged = [line for line in (OURS / "train.log").read_text().splitlines() if "loss.train=" in line]
    assert len(train.points) == len(logged) and not train.validation
    assert train.points[0].value == float(logged[0].split("loss.train=")[1].split()[0])
    assert train.points[0].step == 2 and train.points[0].time is not None
    best = by_name["best val_loss"]
    assert best.validation and [p.value for p in best.points] == [0.123]


def test_foreign_run_sessions_are_split_at_the_restart_and_the_resume_line() -> None:
    history = collect(load_config(FOREIGN), FOREIGN / "results" / "run").history
    first, second = history.sessions
    log = (FOREIGN / "results" / "run" / "train.log").read_text().splitlines()
    restart = next(i for i, line in enumerate(log) if "Starting training" in line and i > 0)
    assert first.start_source == "train.log:1" and first.ended == "killed"
    assert first.end_source == f"train.log:{restart}"  # the last line before the restart
    assert second.start_source == f"train.log:{restart + 1}"
    assert second.resumed_from == "ckpt/ckpt_epoch_12.pt"
    assert second.resume_source == f"train.log:{restart + 2}"
    assert second.ended == "finished" and second.end_source == f"train.log:{len(log)}"


def test_foreign_run_saves_take_their_time_from_inside_the_checkpoint() -> None:
    history = collect(load_config(FOREIGN), FOREIGN / "results" / "run").history
    kinds = [s.kind for s in history.saves]
    assert kinds.count("periodic") == 8 and kinds.count("best") == 1 and kinds.count("final") == 1
    assert all("time from pickle" in s.source for s in history.saves)
    assert "pickle" in history.saves_source
    assert len(history.beats) > 20 and history.beats_source == "heartbeat log lines"


def test_foreign_run_metrics_separate_training_loss_from_validation() -> None:
    history = collect(load_config(FOREIGN), FOREIGN / "results" / "run").history
    by_name = {s.name: s for s in history.metrics}
    assert not by_name["loss"].validation and by_name["loss"].points[0].step is not None
    assert by_name["val_loss"].validation and by_name["val_acc"].validation
    epochs_logged = sum("val_loss=" in line for line in (FOREIGN / "results" / "run" / "train.log").read_text()
                        .splitlines())
    assert len(by_name["val_loss"].points) == epochs_logged


def test_a_run_with_nothing_timed_has_no_sessions_and_says_nothing_up(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("no times here\nloss went down\n")
    history = collect(load_config(tmp_path), tmp_path).history
    assert history.sessions == () and history.saves == () and history.beats == ()
    assert history.sessions_source == ""


def test_resume_lines_without_start_lines_still_open_a_session_after_a_save(tmp_path: Path) -> None:
    (tmp_path / "run.log").write_text(
        "2026-01-01 10:00:00 epoch 1 loss=1.0\n"
        "2026-01-01 10:02:00 saved checkpoint epoch_1.pt\n"
        "2026-01-01 10:09:00 resuming from epoch_1.pt\n"
        "2026-01-01 10:10:00 epoch 2 loss=0.5\n")
    history = collect(load_config(tmp_path), tmp_path).history
    assert [s.ended for s in history.sessions] == ["killed", "open"]
    assert history.sessions[1].resumed_from == "epoch_1.pt"
