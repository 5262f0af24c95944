"""Short real training runs (a few hundred ms each) and what they leave in the run folder."""

import json
import re

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import log_lines


def test_checkpoint_folder_every_save_interval(trainer, run_dir):
    trainer.train(max_steps=30, save_interval=10, log_every=5, eval_every=15)

    ckpt_root = run_dir / "ckpt"
    folders = sorted(p.name for p in ckpt_root.glob("step_*"))
    assert folders == ["step_000010", "step_000020", "step_000030"]
    for name in folders:
        assert (ckpt_root / name / "model.safetensors").stat().st_size > 0
        state = json.loads((ckpt_root / name / "trainer_state.json").read_text())
        assert state["global_step"] == int(name.split("_")[1])
    assert (ckpt_root / "latest").read_text().strip() == "step_000030"


def test_loss_line_every_log_every_steps(trainer, run_dir):
    trainer.train(max_steps=40, save_interval=20, log_every=5, eval_every=20)

    steps = [int(m.group(1)) for m in map(re.compile(r" step (\d+) loss ").search,
                                          log_lines(run_dir)) if m]
    assert steps == list(range(5, 41, 5))


def test_tensorboard_gets_every_step(trainer, run_dir):
    trainer.train(max_steps=25, save_interval=25, log_every=5, eval_every=10)

    events = EventAccumulator(str(run_dir / "tb"))
    events.Reload()
    assert [e.step for e in events.Scalars("train/loss")] == list(range(1, 26))
    assert [e.step for e in events.Scalars("eval/loss")] == [10, 20]
