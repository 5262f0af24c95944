"""End-to-end: tools/train_net.py's main() on the toy config, as a user would call it."""
import re

import torch

from minidet.engine import default_argument_parser
from tools.train_net import main


def run(cfg, *extra):
    opts = ["OUTPUT_DIR", cfg.OUTPUT_DIR, "INPUT.NUM_SAMPLES", str(cfg.INPUT.NUM_SAMPLES),
            "SOLVER.IMS_PER_BATCH", str(cfg.SOLVER.IMS_PER_BATCH), "LOG_PERIOD", "5"]
    args = default_argument_parser().parse_args([*extra, *opts])
    return main(args)


def started_at(log):
    return [int(m) for m in re.findall(r"Starting training from iteration (\d+)", log)]


def test_periodic_snapshots(cfg, tmp_path):
    run(cfg, "SOLVER.MAX_ITER", "30", "SOLVER.CHECKPOINT_PERIOD", "10")
    out = tmp_path / "out"
    snaps = sorted(p.name for p in out.glob("model_0*.pth"))
    assert snaps == ["model_0000009.pth", "model_0000019.pth", "model_0000029.pth"]
    for name in snaps:
        it = int(name[6:13])
        assert torch.load(out / name, weights_only=False)["iteration"] == it
    assert (out / "last_checkpoint").read_text() == "model_final.pth"


def test_resume_continues_from_last_checkpoint(cfg, tmp_path):
    run(cfg, "SOLVER.MAX_ITER", "20", "SOLVER.CHECKPOINT_PERIOD", "10")
    trainer = run(cfg, "--resume", "SOLVER.MAX_ITER", "40", "SOLVER.CHECKPOINT_PERIOD", "10")
    out = tmp_path / "out"
    assert started_at((out / "log.txt").read_text()) == [0, 20]
    assert trainer.start_iter == 20
    assert torch.load(out / "model_final.pth", weights_only=False)["iteration"] == 39
    assert (out / "model_0000029.pth").exists()


def test_rerun_without_resume_starts_over(cfg, tmp_path):
    run(cfg, "SOLVER.MAX_ITER", "20", "SOLVER.CHECKPOINT_PERIOD", "10")
    trainer = run(cfg, "SOLVER.MAX_ITER", "20", "SOLVER.CHECKPOINT_PERIOD", "10")
    assert started_at((tmp_path / "out" / "log.txt").read_text()) == [0, 0]
    assert trainer.start_iter == 0
