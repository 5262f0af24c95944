"""End-to-end: run train.py as a subprocess in a temporary project folder."""

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(project_dir, *args):
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "--project_dir", str(project_dir), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_state_is_saved_every_n_steps(tmp_path):
    run(tmp_path, "--max_steps", "12", "--save_every", "4")
    folders = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert folders == ["checkpoint_0", "checkpoint_1", "checkpoint_2"]
    for name in folders:
        assert (tmp_path / "checkpoints" / name / "model.safetensors").is_file()
        assert (tmp_path / "checkpoints" / name / "optimizer.bin").is_file()


def test_only_three_checkpoints_are_kept(tmp_path):
    run(tmp_path, "--max_steps", "20", "--save_every", "4")
    folders = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert folders == ["checkpoint_2", "checkpoint_3", "checkpoint_4"]


def test_every_step_is_printed(tmp_path):
    stdout = run(tmp_path, "--max_steps", "7", "--save_every", "100")
    steps = [int(m) for m in re.findall(r"step (\d+)/7 loss [0-9.]+", stdout)]
    assert steps == list(range(1, 8))


def test_progress_file_reports_the_last_step(tmp_path):
    run(tmp_path, "--max_steps", "10", "--progress_every", "2")
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["status"] == "finished"
    assert progress["step"] == 10
    assert isinstance(progress["loss"], float)


def test_heartbeat_keeps_beating_during_training(tmp_path):
    run(tmp_path, "--max_steps", "12", "--step_delay", "0.25", "--heartbeat_seconds", "0.5")
    lines = (tmp_path / "heartbeat.log").read_text().splitlines()
    assert len(lines) >= 4
    times = [datetime.fromisoformat(line.split()[0]) for line in lines]
    assert times == sorted(times)
    assert (times[-1] - times[0]).total_seconds() >= 2


def test_resume_from_a_given_checkpoint(tmp_path):
    run(tmp_path, "--max_steps", "6", "--save_every", "4")  # leaves checkpoint_0 at step 4
    stdout = run(tmp_path, "--max_steps", "10", "--save_every", "4",
                 "--resume_from_checkpoint", str(tmp_path / "checkpoints" / "checkpoint_0"))
    steps = [int(m) for m in re.findall(r"step (\d+)/10 loss", stdout)]
    assert steps == [5, 6, 7, 8, 9, 10]
