"""Foreign runs in more of the shapes other trainers leave them, on small runs written here:
per-step lines in common formats (event-driven engines, registry-style runners, update counters,
tracker JSON lines), logs not named *.log, one log file a session in timestamped folders, a
heartbeat file whose only record is its mtime, and a resume path carried by a printed config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig, load_config
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.evidence.runlog import is_batch_line
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

PICKLE = b"\x80\x04}\x94."  # an empty dict: a readable checkpoint with nothing in it


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def probe(name: str, root: Path, run: Path, discovered: bool = False, **params):
    config = resolve(load_config(root)) if discovered else ProjectConfig(root=root)
    return PROBES[name](Evidence(config, run), **params)


@pytest.mark.parametrize("line, per_step", [
    ("2026-01-01 10:00:00,001 engine INFO: Epoch[2] Iteration[48] Loss: 0.5570", True),
    ("01/01 10:00:00 - runner - INFO - Epoch(train)  [3][ 20/100]  lr: 1.0000e-03  time: 0.01  loss: 0.1234", True),
    ("01/01 10:00:00 - runner - INFO - Epoch(val) [3][5/5]  accuracy: 0.9100  loss: 0.3000", False),
    ("01/01 10:00:00 - runner - INFO - Iter(train) [ 40/1000]  lr: 1.0000e-03  loss: 0.1234", True),
    ("2026-01-01 10:00:00 INFO update 200 loss 0.00120 eps 0.31", True),
    ('{"_step": 12, "_runtime": 3.1, "train/loss": 0.41}', True),
    ('{"_step": 12, "_runtime": 3.1, "val/loss": 0.41}', False),
    ('{"iter": 40, "lr": 0.001, "loss": 0.2, "epoch": 1}', True),
    ("2026-01-01 10:00:00 engine INFO: Validation Results - Epoch[1] Avg accuracy: 0.86 Avg loss: 0.38", False),
    ("2026-01-01 10:00:00 updated 3 files", False),
    ("2026-01-01 10:00:00 episode 7 return -0.300 steps 30", False),
])
def test_per_step_lines_in_more_formats(line, per_step):
    assert is_batch_line(line) is per_step


def test_json_lines_in_a_file_not_named_jsonl_deep_in_the_run_are_per_step_lines(tmp_path):
    lines = "".join(f'{{"iter": {i}, "lr": 0.001, "loss": 0.{i}}}\n' for i in range(1, 6))
    write(tmp_path, {"run/epoch_1.pth": PICKLE, "run/20260101_100000/vis_data/scalars.json": lines})
    r = probe("run.batch_logging", tmp_path, tmp_path / "run")
    assert r.verdict == Verdict.YES and r.citations[0].location() == "20260101_100000/vis_data/scalars.json:1"


HISTORY = "".join(f'{{"_step": {i}, "_timestamp": 1767261600.{i}, "train/loss": 0.{i}}}\n' for i in range(1, 9))


def test_a_runs_only_log_may_be_a_tracker_history_elsewhere_in_the_project(tmp_path):
    write(tmp_path, {"train.py": "loss.backward()\nopt.step()\n", "ckpts/epoch_001.pth": PICKLE,
                     "ckpts/epoch_002.pth": PICKLE, "tracking/offline-run-20260101_100000-ab12/files/history.jsonl":
                     HISTORY})
    r = probe("run.batch_logging", tmp_path, tmp_path / "ckpts", discovered=True)
    assert r.verdict == Verdict.YES, r.summary
    assert r.citations[0].location() == "tracking/offline-run-20260101_100000-ab12/files/history.jsonl:1"


def test_a_sample_log_in_the_documentation_is_not_the_runs_log(tmp_path):
    write(tmp_path, {"train.py": "loss.backward()\nopt.step()\n", "ckpts/epoch_001.pth": PICKLE,
                     "ckpts/epoch_002.pth": PICKLE, "docs/sample/history.jsonl": HISTORY})
    assert probe("run.batch_logging", tmp_path, tmp_path / "ckpts", discovered=True).verdict == Verdict.NO


@pytest.mark.parametrize("record", ['{"epoch": 3, "loss": 0.41}', '{"loss": 0.41}', '{"epoch": 3, "loss": 0.4, '
                                    '"val_loss": 0.5}'])
def test_a_json_record_an_epoch_is_not_a_per_step_line(record):
    assert not is_batch_line(record)


@pytest.mark.parametrize("line", ["Epoch [1/10], Loss: 0.4512", "epoch: [3/20] train loss 0.12",
                                  "Epoch(train) [3/20]  loss: 0.12"])
def test_an_epoch_counter_is_not_a_step_counter(line):
    assert not is_batch_line(line)


SESSION_1 = """\
01/01 10:00:00 - runner - INFO - Config:
resume = True
load_from = None
01/01 10:00:01 - runner - INFO - No checkpoint found in work/x, training from scratch
01/01 10:00:20 - runner - INFO - Epoch(train) [1][10/20]  loss: 0.50
01/01 10:00:40 - runner - INFO - Epoch(train) [1][20/20]  loss: 0.40
01/01 10:00:40 - runner - INFO - Saving checkpoint at 1 epochs
01/01 10:01:00 - runner - INFO - Epoch(train) [2][10/20]  loss: 0.30
"""
SESSION_2 = """\
01/01 10:05:00 - runner - INFO - Config:
resume = True
load_from = None
01/01 10:05:01 - runner - INFO - Auto resumed from the latest checkpoint work/x/epoch_1.pth.
01/01 10:05:01 - runner - INFO - resumed epoch: 1, iter: 20
01/01 10:05:20 - runner - INFO - Epoch(train) [2][10/20]  loss: 0.30
01/01 10:05:40 - runner - INFO - Epoch(train) [2][20/20]  loss: 0.20
01/01 10:05:40 - runner - INFO - Saving checkpoint at 2 epochs
"""


def _sessions_in_files(root: Path) -> Path:
    write(root, {"x/epoch_1.pth": PICKLE, "x/epoch_2.pth": PICKLE, "x/20260101_100000/20260101_100000.log": SESSION_1,
                 "x/20260101_100500/20260101_100500.log": SESSION_2})
    return root / "x"


def test_one_log_file_a_session_in_timestamped_folders_is_two_sessions_and_a_resume(tmp_path):
    run = run_ev.collect(ProjectConfig(root=tmp_path), _sessions_in_files(tmp_path))
    assert run.restarts == 1 and [s.start_source for s in run.log.sessions] == [
        "20260101_100000/20260101_100000.log:1", "20260101_100500/20260101_100500.log:1"]
    first, second = run.log.sessions
    assert first.ended == "killed" and second.resumed_from.endswith("epoch_1.pth")
    assert first.start == 1767261600.0 and second.start == 1767261900.0  # the year comes from the file's name
    assert run.resumes and run.resumes[0].file == "20260101_100500/20260101_100500.log" and run.resumes[0].line == 4
    assert [s.start_source for s in run.history.sessions] == [s.start_source for s in run.log.sessions]


def test_a_log_rotated_while_one_process_wrote_it_is_one_session(tmp_path):
    day_1 = "".join(f"2026-01-01 23:59:{s:02d} step {s} loss 0.5\n" for s in (50, 55, 59))
    day_2 = "".join(f"2026-01-02 00:00:{s:02d} step {60 + s} loss 0.5\n" for s in (0, 5, 10))
    write(tmp_path, {"out/ckpt_10.pt": PICKLE, "out/train-2026-01-01.log": day_1, "out/train-2026-01-02.log": day_2})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out")
    assert run.restarts == 0 and run.log.parts == ("train-2026-01-01.log", "train-2026-01-02.log")


def test_a_resume_seen_without_a_command_line_or_a_path_is_partial_for_auto_resume(tmp_path):
    """`resume = True` in a printed config says a resume was wanted, not whether anyone asked for it."""
    run = _sessions_in_files(tmp_path)
    assert probe("run.resumed", tmp_path, run).verdict == Verdict.YES
    r = probe("run.auto_resumed", tmp_path, run)
    assert r.verdict == Verdict.PARTIAL and "no command line" in r.summary, r.summary
    assert probe("run.batch_logging", tmp_path, run).verdict == Verdict.YES


def test_a_resume_path_in_the_config_the_restart_printed_is_an_explicit_resume(tmp_path):
    config = "2026-01-01 10:0{m}:00 INFO: Train with config: {{'lr': 0.1, 'resume_from': {value}, 'epochs': 3}}\n"
    steps = "".join(f"2026-01-01 10:0{{m}}:{s:02d} INFO: Epoch[1] Iteration[{i}] Loss: 0.5\n"
                    for i, s in ((8, 10), (16, 20)))
    log = (config.format(m=0, value="None") + steps.format(m=0)
           + "2026-01-01 10:00:25 INFO: Saved checkpoint ckpt_16.pt\n"
           + config.format(m=5, value="'out/ckpt_16.pt'")
           + "2026-01-01 10:05:02 INFO: Engine run resuming from iteration 16, epoch 1\n" + steps.format(m=5))
    write(tmp_path, {"out/ckpt_16.pt": PICKLE, "out/train.log": log})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out")
    assert [s.start_source for s in run.log.sessions] == ["train.log:1", "train.log:5"]  # the config opens it
    r = probe("run.auto_resumed", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.NO and "resume_from" in r.summary and r.citations[0].location() == "train.log:5"


def test_a_heartbeat_file_whose_only_record_is_its_mtime_is_a_single_record(tmp_path):
    write(tmp_path, {"out/ckpt_10.pt": PICKLE, "out/alive": ""})
    os.utime(tmp_path / "out" / "alive", (1767261600, 1767261600))
    r = probe("run.heartbeat", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.PARTIAL and "single" in r.summary
    assert r.citations[0].source == "alive" and "mtime" in r.citations[0].detail


def test_two_heartbeat_files_touched_once_each_are_no_period(tmp_path):
    """Two mtimes of two files are not two beats of one signal: still no period measured."""
    write(tmp_path, {"out/ckpt_10.pt": PICKLE, "out/alive": "", "out/heartbeat": ""})
    os.utime(tmp_path / "out" / "alive", (1767261600, 1767261600))
    os.utime(tmp_path / "out" / "heartbeat", (1767261630, 1767261630))
    assert probe("run.heartbeat", tmp_path, tmp_path / "out").verdict == Verdict.PARTIAL


def test_a_heartbeat_file_with_timed_records_is_read_by_its_records_not_its_mtime(tmp_path):
    beats = "".join(f"2026-01-01 10:00:{s:02d} beat\n" for s in (0, 10, 20))
    write(tmp_path, {"out/ckpt_10.pt": PICKLE, "out/heartbeat.log": beats})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.YES and r.measured["heartbeats"] == 3


def test_saves_logged_without_any_time_are_no_evidence_for_the_interval(tmp_path):
    write(tmp_path, {"out/ckpt_000010.pt": PICKLE, "out/train.log": "start training\nstep 10 loss 1.0\n"
                     "saved ckpt_000010.pt\nstep 20 loss 1.0\nsaved ckpt_000020.pt\n"})
    r = probe("run.checkpoint_gaps", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.NO_EVIDENCE and "time" in r.summary


def test_a_launcher_reporting_a_worker_killed_by_sigkill_ends_the_session_as_killed(tmp_path):
    log = ("[2026-01-01 10:00:00] start argv=train.py\n[2026-01-01 10:00:05] step 10 loss 0.5\n"
           "W0101 10:00:09.000000 1 api.py:1] Sending process 2 closing signal SIGTERM\n"
           "E0101 10:00:09.300000 1 api.py:2] failed (exitcode: -9) local_rank: 1 (pid: 3)\n"
           "[2026-01-01 10:00:20] start argv=train.py\n[2026-01-01 10:00:25] step 10 loss 0.5\n")
    write(tmp_path, {"out/ckpt_10.pt": PICKLE, "out/train.log": log})
    first, second = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out").log.sessions
    assert first.ended == "killed" and first.end_source == "train.log:4" and second.start_source == "train.log:5"
