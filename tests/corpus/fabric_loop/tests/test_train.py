"""End to end: python train.py in a subprocess, then look at stdout and the out dir."""

import re
import signal
import subprocess
import time
from datetime import datetime

from conftest import run

LINE_TIME = re.compile(r"^\[(\d\d:\d\d:\d\d)\] ")


def steps_on_disk(out_dir):
    return sorted(int(p.stem.split("-")[1]) for p in (out_dir / "checkpoints").glob("step-*.ckpt"))


def test_timer_checkpoints_while_training(train_cmd, out_dir, env):
    res = run(train_cmd("--max-steps", "80", "--save-every-s", "1.0", "--data-delay", "0.05"), env)
    assert res.returncode == 0, res.stderr
    timer = [line for line in res.stdout.splitlines() if line.endswith("(timer)")]
    assert len(timer) >= 2
    stamps = [datetime.strptime(LINE_TIME.match(line).group(1), "%H:%M:%S") for line in timer]
    assert all((b - a).total_seconds() >= 1 for a, b in zip(stamps, stamps[1:]))
    saved = [int(re.search(r"step-(\d+)\.ckpt", line).group(1)) for line in timer]
    assert set(saved) <= set(steps_on_disk(out_dir))
    assert steps_on_disk(out_dir)[-1] == 80


def test_every_step_is_printed(train_cmd, env):
    res = run(train_cmd("--max-steps", "25", "--data-delay", "0"), env)
    assert res.returncode == 0, res.stderr
    printed = [int(m.group(1)) for m in re.finditer(r"\] step (\d+) \| loss \d+\.\d+$", res.stdout, re.M)]
    assert printed == list(range(1, 26))


def test_same_command_after_kill_resumes(train_cmd, out_dir, env):
    cmd = train_cmd("--max-steps", "120", "--save-every-s", "0.8", "--data-delay", "0.04")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(steps_on_disk(out_dir)) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    newest = steps_on_disk(out_dir)[-1]
    assert 0 < newest < 120

    res = run(cmd, env)
    assert res.returncode == 0, res.stderr
    assert f"resumed from {out_dir / 'checkpoints' / f'step-{newest:06d}.ckpt'} at step {newest}" in res.stdout
    first = int(re.search(r"\] step (\d+) \| loss", res.stdout).group(1))
    assert first == newest + 1
    assert steps_on_disk(out_dir)[-1] == 120
