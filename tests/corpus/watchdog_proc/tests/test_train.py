import re
import signal
import subprocess
import time

import torch


def test_checkpoint_every_save_every_steps(train, env):
    res = subprocess.run(train("--steps", "60", "--save-every", "20"), env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in (train.out / "ckpt").glob("step-*.pt"))
    assert names == ["step-000020.pt", "step-000040.pt", "step-000060.pt"]
    assert torch.load(train.out / "ckpt" / "step-000040.pt")["step"] == 40


def test_progress_lines(train, env):
    res = subprocess.run(train("--steps", "100", "--print-every", "25"), env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    steps = [int(s) for s in re.findall(r"\| step\s+(\d+) \| loss \d", res.stdout)]
    assert steps == [25, 50, 75, 100]


def test_sigterm_saves_and_resume_continues(train, env):
    proc = subprocess.Popen(train("--steps", "100000", "--loader-delay", "0.01"), env=env,
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "step   100 |" in line:
            break
    proc.send_signal(signal.SIGTERM)
    rest = proc.stdout.read()
    assert proc.wait(timeout=30) == 143
    saved = re.search(r"SIGTERM: saved (\S+preempt-(\d+)\.pt)", rest)
    assert saved, rest
    path, at = saved.group(1), int(saved.group(2))
    assert at >= 100

    res = subprocess.run(train("--steps", str(at + 50), "--resume", path, "--print-every", "1"),
                         env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"resumed from {path} at step {at}" in res.stdout
    first = int(re.search(r"\| step\s+(\d+) \|", res.stdout).group(1))
    assert first == at + 1
    assert torch.load(train.out / "ckpt" / "last.pt")["step"] == at + 50
