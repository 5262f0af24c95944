"""The trainer in a subprocess, with a real signal, the way the scheduler does it."""

import json
import re
import signal
import subprocess
import time

from conftest import ROOT

ARGS = ["--max-steps", "400", "--ckpt.save-every", "50", "--log-every", "25",
        "--data.latency-ms", "10"]


def _start(python, env, run_dir, *extra):
    return subprocess.Popen([python, "-m", "rhea.train", "--run-dir", str(run_dir), *ARGS, *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _wait_for(path, timeout=60):
    end = time.time() + timeout
    while not path.exists():
        assert time.time() < end, f"{path} never appeared"
        time.sleep(0.05)


def _preempt(python, env, run_dir, sig=signal.SIGUSR1):
    proc = _start(python, env, run_dir)
    _wait_for(run_dir / "ckpt" / "step_0000050.pt")
    time.sleep(0.3)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def test_usr1_saves_and_exits_for_requeue(tmp_path, python, subprocess_env):
    rc, out = _preempt(python, subprocess_env, tmp_path)
    assert rc == 99, out
    assert re.search(r"saved .*step_\d+\.pt \(SIGUSR1\); exiting 99", out)
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "preempted"


def test_sigterm_is_handled_like_usr1(tmp_path, python, subprocess_env):
    rc, out = _preempt(python, subprocess_env, tmp_path, signal.SIGTERM)
    assert rc == 99, out
    assert "(SIGTERM)" in out


def test_resume_flag_continues_from_preempt_save(tmp_path, python, subprocess_env):
    rc, out = _preempt(python, subprocess_env, tmp_path)
    assert rc == 99
    saved = int(re.search(r"step_(\d+)\.pt \(SIGUSR1\)", out).group(1))

    proc = _start(python, subprocess_env, tmp_path, "--resume")
    out2, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out2
    assert f"resumed from {tmp_path}/ckpt/step_{saved:07d}.pt at step {saved}" in out2
    logged = [int(s) for s in re.findall(r"step (\d+) loss", out2)]
    assert logged and logged[0] > saved and logged[-1] == 400


def test_restart_without_flag_starts_over(tmp_path, python, subprocess_env):
    rc, _ = _preempt(python, subprocess_env, tmp_path)
    assert rc == 99
    proc = _start(python, subprocess_env, tmp_path)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert "ignored (no --resume)" in out
    assert "starting at step 0" in out
    assert re.findall(r"step (\d+) loss", out)[0] == "25"
