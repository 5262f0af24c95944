"""train.py end to end, in subprocesses, against a temporary out_dir."""

import json
import re
import signal
import time

import torch

SAVED = re.compile(r"saved \S*(ckpt-(\d{6})\.pt) \(([\d.]+) s since the last save\)")


def wait_for(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_checkpoints_on_the_clock_and_only_the_last_3_kept(make_config, train, out_dir):
    cfg = make_config(epochs=4, io_delay_s=0.05, save_every_s=0.4)
    result = train(cfg)
    assert result.returncode == 0, result.stderr

    timed = SAVED.findall(result.stdout)
    assert len(timed) >= 4, result.stdout
    assert all(float(since) >= 0.4 for _, _, since in timed)
    steps = [int(step) for _, step, _ in timed]
    assert steps == sorted(steps)

    written = []  # every file name in save order; the end-of-training save is ckpt-000040.pt
    for name in [name for name, _, _ in timed] + ["ckpt-000040.pt"]:
        if name in written:
            written.remove(name)
        written.append(name)
    on_disk = sorted(p.name for p in (out_dir / "checkpoints").glob("ckpt-*.pt"))
    assert on_disk == sorted(written[-3:])


def test_progress_json_keeps_beating_while_a_batch_hangs(make_config, launch, out_dir):
    # 1.5 s per batch, a beat every 0.2 s: several beats must land between two steps
    proc = launch(make_config(io_delay_s=1.5, heartbeat_every_s=0.2))
    progress = out_dir / "progress.json"
    beats = []

    def five_beats_at_one_step():
        try:
            state = json.loads(progress.read_text())
        except (OSError, ValueError):
            return False
        if not beats or beats[-1]["updated"] != state["updated"] or beats[-1]["uptime_s"] != state["uptime_s"]:
            beats.append(state)
        same_step = [b for b in beats if b["step"] == beats[-1]["step"]]
        return len(same_step) >= 5

    assert wait_for(five_beats_at_one_step, timeout=30)
    assert beats[-1]["status"] == "running" and beats[-1]["pid"] == proc.pid
    proc.kill()


def test_progress_json_says_finished_with_the_last_step(make_config, train, out_dir):
    result = train(make_config(epochs=2))
    assert result.returncode == 0, result.stderr
    state = json.loads((out_dir / "progress.json").read_text())
    assert state["status"] == "finished"
    assert state["step"] == 20 and state["epoch"] == 1
    assert state["last_checkpoint"].endswith("ckpt-000020.pt")


def test_killed_run_continues_when_started_again(make_config, launch, train, out_dir):
    cfg = make_config(epochs=3, io_delay_s=0.1, save_every_s=0.5)
    proc = launch(cfg)
    assert wait_for(lambda: len(list((out_dir / "checkpoints").glob("ckpt-*.pt"))) >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    newest = max((out_dir / "checkpoints").glob("ckpt-*.pt"), key=lambda p: p.stat().st_mtime)
    saved_step = int(newest.stem.split("-")[1])

    again = train(cfg)  # the same command: no --resume
    assert again.returncode == 0, again.stderr
    assert f"resumed from {newest} (newest by mtime): step {saved_step}" in again.stdout
    state = json.loads((out_dir / "progress.json").read_text())
    assert state["status"] == "finished" and state["step"] == 30
    final = torch.load(out_dir / "checkpoints" / "ckpt-000030.pt", weights_only=True)
    assert final["step"] == 30 and final["optimizer"]["state"]


def test_a_line_for_every_batch(make_config, train):
    result = train(make_config(epochs=2))
    assert result.returncode == 0, result.stderr
    steps = [int(s) for s in re.findall(r"step (\d+) loss=[\d.]+", result.stdout)]
    assert steps == list(range(1, 21))
