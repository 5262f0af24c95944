"""The service as systemd runs it: `python -m svctrain` with its settings in the environment."""

import json
import os
import re
import signal
import subprocess
import sys
import time

from svctrain import config
from svctrain.trainer import Trainer


def start(env, *args, **extra):
    env = dict(env, **extra)
    return subprocess.Popen([sys.executable, "-m", "svctrain", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_checkpoints_written_while_training(svc_env, tmp_path):
    proc = start(svc_env, "--max-steps", "30", TRAINER_CKPT_INTERVAL="10")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    names = sorted(p.name for p in (tmp_path / "ckpt").glob("ckpt-*.pt"))
    assert names == ["ckpt-000010.pt", "ckpt-000020.pt", "ckpt-000030.pt"]
    assert out.count("saved (interval)") == 2


def test_state_file_follows_training(svc_env, tmp_path):
    settings = config.load(environ=dict(svc_env, TRAINER_STATE_EVERY="5"))
    Trainer(settings, max_steps=25).run()
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["phase"] == "finished"
    assert state["step"] == 25
    assert state["loss"] is not None and state["pid"] == os.getpid()


def test_restart_after_kill_continues(svc_env, tmp_path):
    ckpt = tmp_path / "ckpt"
    args = ("--resume", "latest", "--max-steps", "60")
    first = start(svc_env, *args, TRAINER_CKPT_INTERVAL="20", TRAINER_FETCH_DELAY_S="0.05")
    deadline = time.time() + 120
    while not (ckpt / "ckpt-000020.pt").exists():
        assert first.poll() is None and time.time() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()

    second = start(svc_env, *args, TRAINER_CKPT_INTERVAL="20")
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    resumed = re.search(r"resuming from \S+ckpt-(\d+)\.pt at step (\d+)", out)
    assert resumed, out
    assert int(resumed.group(2)) >= 20
    assert "starting at step 0" not in out
    assert json.loads((tmp_path / "state.json").read_text())["step"] == 60
