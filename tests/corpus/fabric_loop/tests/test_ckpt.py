import subprocess

from conftest import run
from seqfab import ckpt


def touch_steps(out_dir, steps):
    folder = out_dir / "checkpoints"
    folder.mkdir(parents=True)
    for s in steps:
        ckpt.checkpoint_path(out_dir, s).write_bytes(b"x")


def test_newest_is_by_step_not_by_name_order(tmp_path):
    touch_steps(tmp_path, [900, 1200, 30])
    assert ckpt.newest_checkpoint(tmp_path).name == "step-001200.ckpt"


def test_prune_keeps_the_newest_k(tmp_path):
    touch_steps(tmp_path, [10, 20, 30, 40, 50])
    (tmp_path / "checkpoints" / "notes.txt").write_text("keep me")
    ckpt.prune_checkpoints(tmp_path, keep=2)
    left = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert left == ["notes.txt", "step-000040.ckpt", "step-000050.ckpt"]


def test_training_keeps_only_the_last_k(train_cmd, out_dir, env):
    res = run(train_cmd("--max-steps", "60", "--save-every-s", "0.3", "--data-delay", "0.03",
                        "--keep-last", "2"), env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("(timer)") >= 3
    names = sorted(p.name for p in (out_dir / "checkpoints").glob("*.ckpt"))
    assert len(names) == 2
    assert names[-1] == "step-000060.ckpt"
