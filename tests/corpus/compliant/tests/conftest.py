"""Tests drive `python -m lumen` in a subprocess, the way the README runs it."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = ("--batch-delay", "0.02")


def lumen_cmd(run_dir, *args):
    return [sys.executable, "-m", "lumen", "--run-dir", str(run_dir), *args]


def lumen_env():
    return dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")


def run_lumen(run_dir, *args, timeout=120):
    done = subprocess.run(lumen_cmd(run_dir, *args), env=lumen_env(), capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def snapshot_steps(run_dir):
    return sorted(int(p.stem.split("-")[1]) for p in (Path(run_dir) / "checkpoints").glob("step-*.pt"))
