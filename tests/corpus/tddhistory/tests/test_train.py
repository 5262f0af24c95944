import os
import re
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] it (\d+) \| loss [\d.]+ \| lr [\d.e+-]+$")


def train(cwd, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "charlm.train", "--out", "out", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_checkpoint_every_n_iterations(tmp_path):
    train(tmp_path, "--max-iters", "60", "--ckpt-every", "20", "--eval-every", "1000")

    names = sorted(p.name for p in (tmp_path / "out").glob("ckpt_*.pt"))
    assert names == ["ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"]
    for name in names:
        saved = torch.load(tmp_path / "out" / name, weights_only=False)
        assert saved["iter_num"] == int(name[5:11])


def test_prints_a_line_every_log_interval(tmp_path):
    out = train(tmp_path, "--max-iters", "30", "--log-every", "10", "--eval-every", "1000",
                "--ckpt-every", "1000")

    its = [int(m.group(1)) for line in out.splitlines() if (m := LINE.match(line))]
    assert its == [10, 20, 30]


def test_resume_continues_from_the_saved_iteration(tmp_path):
    train(tmp_path, "--max-iters", "40", "--ckpt-every", "20", "--log-every", "10", "--eval-every", "1000")

    out = train(tmp_path, "--max-iters", "60", "--ckpt-every", "20", "--log-every", "10",
                "--eval-every", "1000", "--resume", "out/ckpt_000040.pt")

    assert "resumed from out/ckpt_000040.pt at it 40" in out
    its = [int(m.group(1)) for line in out.splitlines() if (m := LINE.match(line))]
    assert its == [50, 60]
    saved = torch.load(tmp_path / "out" / "ckpt_000060.pt", weights_only=False)
    assert saved["iter_num"] == 60
