"""End-to-end: each test runs `python -m trainerpkg` in a subprocess and reads its run folder."""

import json
import re
import signal
import time
from datetime import datetime

STEPS_PER_EPOCH = 512 // 32
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def log_lines(run_dir):
    return (run_dir / "train.log").read_text().splitlines()


def logged_at(line):
    return datetime.strptime(LOG_TIME.match(line).group(1), "%Y-%m-%d %H:%M:%S,%f")


def checkpoint_steps(run_dir):
    return sorted(int(p.stem.split("_")[1]) for p in (run_dir / "checkpoints").glob("ckpt_*.pt"))


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_checkpoints_are_written_on_the_wall_clock_timer(write_config, run_training, run_dir):
    period_s = 1.2
    cfg = write_config(epochs=3, save_every_minutes=period_s / 60, io_delay_s=0.06)
    result = run_training(cfg)
    assert result.returncode == 0, result.stderr

    timer_saves = [line for line in log_lines(run_dir) if "reason=timer" in line]
    assert len(timer_saves) >= 2
    times = [logged_at(line) for line in timer_saves]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert all(gap >= period_s - 0.05 for gap in gaps), gaps
    saved_steps = [int(re.search(r"ckpt_(\d+)\.pt", line).group(1)) for line in timer_saves]
    assert saved_steps == sorted(set(saved_steps))
    assert 0 < saved_steps[0] < 3 * STEPS_PER_EPOCH
    assert set(checkpoint_steps(run_dir)) >= {saved_steps[-1], 3 * STEPS_PER_EPOCH}


def test_status_file_follows_the_current_step(write_config, launch_training, run_dir):
    proc = launch_training(write_config(epochs=2, io_delay_s=0.05))
    status_path = run_dir / "status.json"
    seen = []

    def two_running_steps():
        try:
            status = json.loads(status_path.read_text())
        except (OSError, ValueError):
            return False
        if status["state"] == "running" and status["step"] not in seen:
            seen.append(status["step"])
        return len(seen) >= 2

    assert wait_for(two_running_steps)
    assert seen[1] > seen[0] > 0
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    final = json.loads(status_path.read_text())
    assert final["state"] == "finished"
    assert final["step"] == 2 * STEPS_PER_EPOCH
    assert final["pid"] == proc.pid


def test_every_optimisation_step_is_logged(write_config, run_training, run_dir):
    result = run_training(write_config(epochs=2))
    assert result.returncode == 0, result.stderr
    steps = [int(m.group(1)) for line in log_lines(run_dir)
             if (m := re.search(r" step=(\d+) epoch=\d+ loss=\d+\.\d+$", line))]
    assert steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert f"epoch 1 step {2 * STEPS_PER_EPOCH} loss" in result.stdout


def test_heartbeat_beats_while_a_step_is_stuck(write_config, run_training, run_dir):
    # three batches of 1.5 s each: only a thread of its own can beat during them
    cfg = write_config(n_samples=96, io_delay_s=1.5, heartbeat_seconds=0.2)
    result = run_training(cfg)
    assert result.returncode == 0, result.stderr
    beats = (run_dir / "heartbeat.log").read_text().splitlines()
    assert len(beats) >= 10
    pids = {re.search(r"pid=(\d+)", b).group(1) for b in beats}
    assert len(pids) == 1
    steps = [int(re.search(r"step=(\d+)", b).group(1)) for b in beats]
    assert steps == sorted(steps)
    assert max(steps.count(s) for s in set(steps)) >= 3


def test_rerun_after_sigkill_resumes_from_the_newest_checkpoint(
        write_config, launch_training, run_training, run_dir):
    cfg = write_config(epochs=4, save_every_minutes=0.6 / 60, io_delay_s=0.04)
    proc = launch_training(cfg)
    assert wait_for(lambda: (run_dir / "checkpoints").exists() and len(checkpoint_steps(run_dir)) >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    newest = checkpoint_steps(run_dir)[-1]
    assert 0 < newest < 4 * STEPS_PER_EPOCH

    result = run_training(cfg)  # the same command, no resume option
    assert result.returncode == 0, result.stderr

    lines = log_lines(run_dir)
    starts = [i for i, line in enumerate(lines) if " start pid=" in line]
    assert len(starts) == 2
    second = lines[starts[1]:]
    assert f"resumed from {run_dir / 'checkpoints' / f'ckpt_{newest:07d}.pt'} at step={newest}" in second[1]
    first_step = next(int(m.group(1)) for line in second if (m := re.search(r" INFO step=(\d+) epoch=", line)))
    assert first_step == newest + 1
    assert json.loads((run_dir / "status.json").read_text())["step"] == 4 * STEPS_PER_EPOCH
