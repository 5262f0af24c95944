import glob
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")


def run_train(out, *args):
    cmd = [sys.executable, os.path.join(ROOT, "train.py"), "--output-dir", str(out), *args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_checkpoints_are_saved(tmp_path):
    # 0.01 min = 0.6 s, so a few checkpoints get written in this short run
    result = run_train(tmp_path, "--epochs", "2", "--batches", "8", "--ckpt-every-min", "0.01")
    assert result.returncode == 0
    ckpts = glob.glob(os.path.join(tmp_path, "checkpoints", "ckpt_epoch*_step*.pt"))
    assert len(ckpts) >= 2


def test_loss_logged_every_batch(tmp_path):
    result = run_train(tmp_path, "--epochs", "1", "--batches", "5")
    assert result.returncode == 0
    log = open(os.path.join(tmp_path, "train.log")).read()
    for i in range(5):
        assert f"Epoch 0 Batch {i} Loss" in log


def test_progress_file(tmp_path):
    result = run_train(tmp_path, "--epochs", "2", "--batches", "3")
    assert result.returncode == 0
    progress = json.load(open(os.path.join(tmp_path, "progress.json")))
    assert progress["epoch"] == 1
    assert progress["step"] == 6


def test_resume(tmp_path):
    first = run_train(tmp_path / "a", "--epochs", "1", "--batches", "4")
    assert first.returncode == 0
    ckpt = os.path.join(tmp_path, "a", "checkpoints", "final_model.pt")
    second = run_train(tmp_path / "b", "--epochs", "2", "--batches", "4", "--resume", ckpt)
    assert second.returncode == 0
    log = open(os.path.join(tmp_path, "b", "train.log")).read()
    assert "Epoch 0 Batch" not in log  # epoch 0 was already done
    assert "Epoch 1 Batch 0" in log
