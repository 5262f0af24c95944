"""The job's life on the cluster, acted out with real processes and real signals."""

import re
import signal
from datetime import datetime

import torch

from conftest import wait_for

SAVE = re.compile(r"checkpoint \[(\w+)\] step (\d+) -> \S*(step_\d+\.pt)$")


def saves(lines, reason=None):
    found = [(SAVE.search(line), line) for line in lines]
    return [(m.group(1), int(m.group(2)), m.group(3), line) for m, line in found
            if m and (reason is None or m.group(1) == reason)]


def logged_at(line):
    return datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")


def test_timer_checkpoints_and_loss_lines(job):
    proc = job.start("--ckpt-minutes", "0.04", "--loader-delay", "0.03",
                     "--max-steps", "200", "--log-every", "20")
    assert proc.wait(timeout=120) == 0, "\n".join(job.lines())
    lines = job.lines()

    timer = saves(lines, "timer")
    assert len(timer) >= 2
    steps = [step for _, step, _, _ in timer]
    assert steps == sorted(steps) and steps[-1] < 200
    for _, step, name, _ in timer:
        assert (job.ckpt_dir / name).is_file()
        assert torch.load(job.ckpt_dir / name, weights_only=True)["step"] == step
    gaps = [(logged_at(b[3]) - logged_at(a[3])).total_seconds() for a, b in zip(timer, timer[1:])]
    assert all(gap >= 1 for gap in gaps), gaps  # 2.4 s period, logged to the second

    loss_steps = [int(m.group(1)) for m in map(re.compile(r"step (\d+) loss [\d.]+ ").search, lines) if m]
    assert loss_steps == list(range(20, 201, 20))


def test_usr1_saves_requests_requeue_and_exits(job, fake_slurm):
    proc = job.start("--loader-delay", "0.03", "--max-steps", "100000")
    assert wait_for(lambda: any("step 50 loss" in line for line in job.lines()))
    proc.send_signal(signal.SIGUSR1)
    assert proc.wait(timeout=60) == 0

    usr1 = saves(job.lines(), "SIGUSR1")
    assert len(usr1) == 1
    _, step, name, _ = usr1[0]
    assert step >= 50
    assert (job.ckpt_dir / "latest.pt").resolve().name == name
    assert fake_slurm["calls"].read_text().split() == ["requeue", "777"]


def test_sigterm_saves_without_requeue(job, fake_slurm):
    proc = job.start("--loader-delay", "0.03", "--max-steps", "100000")
    assert wait_for(lambda: any("step 25 loss" in line for line in job.lines()))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert len(saves(job.lines(), "SIGTERM")) == 1
    assert not fake_slurm["calls"].exists()


def test_requeued_attempt_continues_from_latest(job):
    first = job.start("--loader-delay", "0.03", "--max-steps", "300")
    assert wait_for(lambda: any("step 75 loss" in line for line in job.lines()))
    first.send_signal(signal.SIGUSR1)
    assert first.wait(timeout=60) == 0
    _, saved_step, _, _ = saves(job.lines(), "SIGUSR1")[0]
    before = len(job.lines())

    # the requeued attempt runs the very same command line
    second = job.start("--loader-delay", "0.03", "--max-steps", "300", restart=1)
    assert second.wait(timeout=120) == 0
    again = job.lines()[before:]
    assert any(f"resumed from" in line and line.endswith(f"at step {saved_step}") for line in again)
    logged = [int(m.group(1)) for m in map(re.compile(r"step (\d+) loss").search, again) if m]
    assert logged and logged[0] > saved_step and logged[-1] == 300
    final = torch.load(job.ckpt_dir / "latest.pt", weights_only=True)
    assert final["step"] == 300 and final["optimizer"]["state"]
