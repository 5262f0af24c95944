"""Run train.py under the deepspeed launcher on one GPU. Needs DeepSpeed and CUDA."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

deepspeed = pytest.importorskip("deepspeed")
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

ROOT = Path(__file__).resolve().parents[1]
SMALL_CONFIG = {
    "train_micro_batch_size_per_gpu": 4,
    "gradient_accumulation_steps": 1,
    "steps_per_print": 1000,
    "optimizer": {"type": "AdamW", "params": {"lr": 1e-3}},
}


def launch(tmp_path, *extra):
    config = tmp_path / "ds_small.json"
    config.write_text(json.dumps(SMALL_CONFIG))
    cmd = ["deepspeed", "--num_gpus", "1", "train.py", "--deepspeed_config", str(config),
           "--save_dir", str(tmp_path / "ckpt"), "--log_interval", "5", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_checkpoint_every_save_interval_and_latest_tag(tmp_path):
    result = launch(tmp_path, "--train_iters", "20", "--save_interval", "5")
    assert result.returncode == 0, result.stderr[-3000:]
    ckpt = tmp_path / "ckpt"
    tags = sorted(p.name for p in ckpt.iterdir() if p.is_dir())
    assert tags == ["global_step10", "global_step15", "global_step20", "global_step5"]
    assert (ckpt / "latest").read_text().strip() == "global_step20"


def test_relaunch_continues_from_latest(tmp_path):
    first = launch(tmp_path, "--train_iters", "10", "--save_interval", "5")
    assert first.returncode == 0, first.stderr[-3000:]
    # same command, more iterations, no resume option: load_checkpoint follows `latest`
    second = launch(tmp_path, "--train_iters", "20", "--save_interval", "5")
    assert second.returncode == 0, second.stderr[-3000:]
    assert re.search(r"resumed from \S+global_step10\S* at step 10", second.stdout)
    steps = [int(s) for s in re.findall(r"step\s+(\d+) \| loss", second.stdout)]
    assert steps == [15, 20]
