import re

import torch

from lm.config import TrainConfig, parse_args
from lm.model import TinyLM
from lm.train import (latest_checkpoint, load_checkpoint, save_checkpoint, train)


def tiny(tmp_path, **kw):
    base = dict(n_layer=2, d_model=32, n_head=2, block_size=16, batch_size=4,
                out_dir=str(tmp_path / "run"), log_every=5, save_every=1000, max_steps=20)
    base.update(kw)
    return TrainConfig(**base)


def test_parse_args_flags():
    cfg = parse_args(["--max-steps", "7", "--resume", "--checkpoint-every", "2"])
    assert cfg.max_steps == 7 and cfg.resume and cfg.checkpoint_every == 2
    assert parse_args([]).resume is False


def test_training_with_checkpointing_logs_every_step(tmp_path, capsys):
    """A short run with activation checkpointing on every block learns and logs."""
    history = train(tiny(tmp_path, checkpoint_every=1, max_steps=30))
    out = capsys.readouterr().out
    steps = [int(s) for s in re.findall(r"step (\d+) \| loss", out)]
    assert steps == [5, 10, 15, 20, 25, 30]
    assert history[-1][1] < history[0][1]


def test_checkpoint_roundtrip(tmp_path):
    cfg = tiny(tmp_path)
    model = TinyLM(cfg)
    opt = torch.optim.AdamW(model.parameters())
    gen = torch.Generator().manual_seed(0)
    for step in (3, 12):
        save_checkpoint(tmp_path / f"step_{step:06d}.pt", model, opt, step, gen)
    newest = latest_checkpoint(str(tmp_path))
    assert newest.endswith("step_000012.pt")
    assert load_checkpoint(newest, TinyLM(cfg), opt, gen) == 12


def test_resume_continues_from_saved_step(tmp_path, capsys):
    train(tiny(tmp_path, max_steps=10))
    capsys.readouterr()
    history = train(tiny(tmp_path, max_steps=20, resume=True))
    out = capsys.readouterr().out
    assert "resumed from" in out and "at step 10" in out
    assert history[0][0] == 11 and history[-1][0] == 20
