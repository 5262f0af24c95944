"""Kill-and-resume through the real CLI. Slow (two subprocesses), so nightly only."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import log_lines

ROOT = Path(__file__).resolve().parents[1]


def cli(run_dir, *args):
    cmd = [sys.executable, str(ROOT / "train.py"), "train", "--run_dir", str(run_dir),
           "--save_interval", "10", "--log_every", "5", "--eval_every", "10", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_resume_continues_from_latest(run_dir):
    assert cli(run_dir, "--max_steps", "20").returncode == 0
    second = cli(run_dir, "--max_steps", "40", "--resume")
    assert second.returncode == 0, second.stderr

    lines = log_lines(run_dir)
    assert any(f"resumed from {run_dir}/ckpt/step_000020 at step 20" in line for line in lines)
    after = lines[[i for i, l in enumerate(lines) if "resumed from" in l][0]:]
    assert not any(" step 5 loss " in line for line in after)
    assert any(" step 25 loss " in line for line in after)
    assert (run_dir / "ckpt" / "latest").read_text().strip() == "step_000040"
