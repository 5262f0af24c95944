"""End-to-end checks: each test runs train.py in a subprocess and reads the run directory."""

import json
import os
import re
import time

import pytest
from safetensors.torch import load_file

STEP_LINE = re.compile(r"^\S+ \S+ \| INFO  \| step (\d+) \| loss [\d.]+ \| loss_avg [\d.]+ \|")


def read_status(run_dir):
    text = (run_dir / "status.txt").read_text()
    return dict(line.split(": ", 1) for line in text.splitlines())


def test_train_log_has_a_line_every_log_every_steps(train, run_dir):
    result = train("--max-steps", "30", "--log-every", "5")
    assert result.returncode == 0, result.stderr
    steps = [int(m.group(1)) for m in map(STEP_LINE.match, (run_dir / "train.log").read_text().splitlines()) if m]
    assert steps == [5, 10, 15, 20, 25, 30]


def test_status_txt_is_rewritten_while_training(launch, run_dir):
    proc = launch("--max-steps", "100", "--io-delay", "0.05")
    seen = []
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            status = read_status(run_dir)
        except (OSError, ValueError):
            status = None
        if status and status["state"] == "training" and status["step"] not in seen:
            seen.append(status["step"])
        time.sleep(0.05)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert len(seen) >= 2
    assert all(s.endswith(" / 100") and int(s.split()[0]) % 20 == 0 for s in seen)
    final = read_status(run_dir)
    assert final["state"] == "finished" and final["step"] == "100 / 100"
    assert final["last_checkpoint"].endswith("step_000100")


def test_resume_from_continues_the_step_count_and_optimizer(train, run_dir):
    first = train("--max-steps", "40", "--log-every", "10")
    assert first.returncode == 0, first.stderr
    saved = run_dir / "checkpoints" / "step_000040"
    assert json.loads((saved / "meta.json").read_text())["step"] == 40

    second = train("--max-steps", "60", "--log-every", "10", "--resume-from", str(saved))
    assert second.returncode == 0, second.stderr
    lines = (run_dir / "train.log").read_text().splitlines()
    resumed = [i for i, line in enumerate(lines) if f"resumed from {saved} at step 40" in line]
    assert len(resumed) == 1
    after = [int(m.group(1)) for m in map(STEP_LINE.match, lines[resumed[0]:]) if m]
    assert after == [50, 60]
    final = run_dir / "checkpoints" / "step_000060"
    assert json.loads((final / "meta.json").read_text())["step"] == 60
    assert set(load_file(final / "ema.safetensors")) == set(load_file(saved / "ema.safetensors"))


@pytest.mark.skipif(not os.environ.get("DDPM_SLOW_TESTS"),
                    reason="needs about 3 minutes of training; set DDPM_SLOW_TESTS=1")
def test_checkpoints_follow_the_wall_clock(train, run_dir):
    result = train("--max-steps", "2000", "--save-every-min", "1", "--io-delay", "0.08",
                   timeout=600)
    assert result.returncode == 0, result.stderr
    saves = [line for line in (run_dir / "train.log").read_text().splitlines()
             if "s since the last save" in line]
    assert len(saves) >= 2
    gaps = [float(re.search(r"\(([\d.]+) s since", line).group(1)) for line in saves]
    assert all(60.0 <= gap < 65.0 for gap in gaps), gaps
