import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_sigkill_then_same_command_resumes(toy_data, tmp_path):
    save_dir = tmp_path / "ckpt"
    cmd = [sys.executable, "-m", "tinyseq.train", toy_data, "--save-dir", str(save_dir),
           "--batch-size", "4", "--max-update", "120", "--save-interval-updates", "20",
           "--log-interval", "10", "--fetch-delay-ms", "50"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    log1 = tmp_path / "run1.log"
    with open(log1, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while "saved checkpoint" not in log1.read_text():
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0
    m = re.search(r"loaded checkpoint .*checkpoint_last\.pt \(epoch \d+ @ (\d+) updates\)", second.stdout)
    assert m and int(m.group(1)) >= 20
    updates = [int(u) for u in re.findall(r"num_updates=(\d+)", second.stdout)]
    assert updates and updates[0] > int(m.group(1)) and updates[-1] == 120
