import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from train import build_model, parse_arguments, ModelConfig  # noqa: E402


def tiny_config(tmp_path, **overrides):
    """The real config, shrunk: 48 examples of batch 8 = 6 steps an epoch, no I/O delay."""
    args = json.loads((ROOT / "configs" / "train_args.json").read_text())
    args.update(
        output_dir=str(tmp_path / "outputs"),
        num_train_epochs=2,
        train_examples=48,
        eval_examples=16,
        io_delay_ms=0,
        logging_steps=2,
    )
    args.update(overrides)
    path = tmp_path / "args.json"
    path.write_text(json.dumps(args))
    return path


def run_train(config, *extra):
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), str(config), *extra],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_parse_arguments_reads_json_and_resume_flag(tmp_path):
    config = tiny_config(tmp_path)
    _, data_cfg, training_args = parse_arguments([str(config), "--resume_from_checkpoint", "x/checkpoint-6"])
    assert training_args.save_strategy == "epoch"
    assert training_args.resume_from_checkpoint == "x/checkpoint-6"
    assert data_cfg.train_examples == 48


def test_model_outputs_two_logits():
    import torch

    model = build_model(ModelConfig())
    logits = model(input_ids=torch.randint(4, 48, (3, 24))).logits
    assert logits.shape == (3, 2)


def test_state_is_persisted_every_epoch(tmp_path):
    run_train(tiny_config(tmp_path))
    outputs = tmp_path / "outputs"
    assert (outputs / "checkpoint-6" / "optimizer.pt").is_file()
    assert (outputs / "checkpoint-12" / "optimizer.pt").is_file()
    state = json.loads((outputs / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["epoch"] == 1.0


def test_resume_continues_from_the_given_checkpoint(tmp_path):
    run_train(tiny_config(tmp_path, num_train_epochs=1))
    stdout = run_train(
        tiny_config(tmp_path, num_train_epochs=2),
        "--resume_from_checkpoint", str(tmp_path / "outputs" / "checkpoint-6"),
    )
    # evaluation runs at every epoch end: a restart from scratch would evaluate epoch 1 again
    eval_epochs = [float(e) for e in re.findall(r"\{'eval_loss': [^}]*'epoch': '?([0-9.]+)", stdout)]
    assert eval_epochs, stdout
    assert min(eval_epochs) == 2.0
    state = json.loads((tmp_path / "outputs" / "checkpoint-12" / "trainer_state.json").read_text())
    assert state["global_step"] == 12


def test_loss_logged_every_ten_steps(tmp_path):
    stdout = run_train(tiny_config(tmp_path, num_train_epochs=4, train_examples=80, logging_steps=10))
    losses = [float(v) for v in re.findall(r"\{'loss': ([0-9.]+)", stdout)]
    assert len(losses) == 4  # 40 steps, one line every 10
    assert losses[-1] < losses[0]
