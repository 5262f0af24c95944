"""End-to-end: launch train.py the way we do on the cluster, but tiny."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def launch(ckpt_dir, run_dir, max_steps=20):
    cmd = [sys.executable, "train.py", f"ckpt_dir={ckpt_dir}", "save_every_steps=5",
           f"max_steps={max_steps}", f"hydra.run.dir={run_dir}"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_writes_step_checkpoints(tmp_path):
    launch(tmp_path / "ckpt", tmp_path / "out")
    steps = sorted((tmp_path / "ckpt").glob("step_*.pt"))
    assert len(steps) >= 2
    assert steps[-1].name == "step_000020.pt"
    assert (tmp_path / "ckpt" / "last.pt").exists()
    assert (tmp_path / "out" / ".hydra" / "config.yaml").exists()


def test_relaunch_picks_up_last_checkpoint(tmp_path):
    launch(tmp_path / "ckpt", tmp_path / "out1")
    # same command again, only a longer schedule and a fresh hydra dir
    launch(tmp_path / "ckpt", tmp_path / "out2", max_steps=30)
    log = (tmp_path / "out2" / "train.log").read_text()
    assert "resumed from" in log
    assert "at step 20" in log
    assert "starting from scratch" not in log
    assert (tmp_path / "ckpt" / "step_000030.pt").exists()
