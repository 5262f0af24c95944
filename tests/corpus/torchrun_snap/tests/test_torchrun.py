"""End-to-end: torchrun restarts a killed worker and the worker picks the snapshot up.

Deselected by default (pytest.ini); run with `pytest -m slow`.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TORCHRUN = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))


def worker_pid(parent):
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for pid in children:
        if b"train.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return int(pid)
    return None


@pytest.mark.slow
def test_killed_worker_is_restarted_and_resumes(tmp_path):
    run_dir = tmp_path / "run"
    cmd = [TORCHRUN, "--standalone", "--nproc_per_node=1", "--max-restarts=3",
           str(ROOT / "train.py"), "12", "2", "--run_dir", str(run_dir), "--step_delay", "0.02"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    log_file = run_dir / "train.log"
    deadline = time.time() + 120
    while not (log_file.exists() and "Epoch 3 | Training snapshot" in log_file.read_text()):
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.2)
    beat = (run_dir / "heartbeat").stat().st_mtime
    os.kill(worker_pid(proc.pid), signal.SIGKILL)
    assert proc.wait(timeout=180) == 0

    text = "".join(p.read_text() for p in sorted(run_dir.glob("train.log*"), reverse=True))
    assert text.count("worker start") == 2
    assert "Resuming training from snapshot at Epoch 4" in text
    assert (run_dir / "heartbeat").stat().st_mtime > beat
