import os
import re
from pathlib import Path

from conftest import FAST, run_lumen, snapshot_steps


def test_snapshots_are_written_on_the_wall_clock_period(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "150", "--checkpoint-period", "1.0")

    log = (tmp_path / "train.log").read_text()
    assert log.count("(periodic)") >= 2
    assert log.count("(final)") == 1
    steps = snapshot_steps(tmp_path)
    assert steps[-1] == 150
    assert len(steps) >= 3
    periodic = [tmp_path / "checkpoints" / f"step-{s:06d}.pt" for s in steps[:-1]]
    mtimes = [os.path.getmtime(p) for p in periodic]
    assert all(b - a >= 0.9 for a, b in zip(mtimes, mtimes[1:]))


def test_no_temporary_files_are_left_behind(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "60", "--checkpoint-period", "0.5")

    leftovers = [p.name for p in (tmp_path / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert snapshot_steps(tmp_path)[-1] == 60


def test_only_the_newest_snapshots_are_kept(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "200", "--checkpoint-period", "0.4", "--keep-last", "2")

    log = (tmp_path / "train.log").read_text()
    written = re.findall(r"step-(\d+)\.pt written \((periodic|final)\)", log)
    assert len(written) >= 4  # more snapshots were written than are kept
    assert snapshot_steps(tmp_path) == [int(step) for step, _ in written[-2:]]
