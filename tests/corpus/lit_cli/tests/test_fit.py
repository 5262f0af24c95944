import csv
import json
import os

import pytest
import torch

from conftest import ROOT, run_cli


def test_checkpoints_written_during_fit(debug_run):
    names = sorted(p.name for p in (debug_run / "checkpoints").glob("*.ckpt"))
    assert "last.ckpt" in names
    steps = sorted(int(n.split("step=")[1].split(".")[0]) for n in names if "step=" in n)
    # debug.yaml saves every 20 steps of a 60-step run
    assert steps == [20, 40, 60]


def test_checkpoint_has_optimizer_state(debug_run):
    ckpt = torch.load(debug_run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert ckpt["global_step"] == 60
    assert ckpt["optimizer_states"] and ckpt["optimizer_states"][0]["state"]


def test_status_file_after_fit(debug_run):
    status = json.loads((debug_run / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["step"] == 60
    assert status["train_loss"] is not None


def test_validation_loss_is_logged(debug_run):
    with open(debug_run / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    val = [float(r["val_loss"]) for r in rows if r.get("val_loss")]
    assert val, "no val_loss in metrics.csv"
    assert all(v == v and v < 10 for v in val)


@pytest.mark.skipif(not os.environ.get("WAVEFIT_SLOW"), reason="slow: two fits; set WAVEFIT_SLOW=1")
def test_resume_from_last_ckpt(tmp_path):
    cfg = str(ROOT / "configs" / "debug.yaml")
    run_cli("fit", "--config", cfg, "--trainer.default_root_dir", str(tmp_path), "--trainer.max_steps", "40")
    last = tmp_path / "lightning_logs" / "version_0" / "checkpoints" / "last.ckpt"
    proc = run_cli("fit", "--config", cfg, "--trainer.default_root_dir", str(tmp_path),
                   "--trainer.max_steps", "80", "--ckpt_path", str(last))
    assert "Restoring states from the checkpoint path" in proc.stdout + proc.stderr
    with open(tmp_path / "lightning_logs" / "version_1" / "metrics.csv") as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh) if r.get("train_loss")]
    assert min(steps) > 40 and max(steps) >= 75
