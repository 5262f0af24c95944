"""Metrics, held-out evaluation of a checkpoint, the PNG grid and the `magvit eval` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from magvit import evaluate as ev
from magvit.cli import main
from magvit.data import load_clips, split_indices
from magvit.metrics import PSNR_CAP_DB, codebook_usage, perplexity, psnr, ssim
from magvit.models import TokenizerConfig, VQTokenizer

TINY = dict(base_channels=8, channel_multipliers=(1, 2), temporal_downsample=(True,), spatial_downsample=(True,),
            num_groups=4, embedding_dim=8, codebook_size=16)


# ----------------------------------------------------------------------------- metrics


def test_psnr_of_identical_clips_is_capped():
    x = torch.rand(3, 3, 4, 8, 8)
    assert float(psnr(x, x)) == PSNR_CAP_DB


def test_psnr_of_known_mse():
    x = torch.full((2, 3, 4, 8, 8), 0.5)
    assert float(psnr(x + 0.1, x)) == pytest.approx(20.0)  # MSE 0.01
    assert float(psnr(x * 255 + 10, x * 255, data_range=255.0)) == pytest.approx(10 * np.log10(255**2 / 100))
    per_clip = psnr(torch.stack([x[0] + 0.1, x[1] + 0.01]), x, reduction="none")
    assert per_clip.tolist() == pytest.approx([20.0, 40.0])


def test_ssim_of_identical_is_one_and_drops_with_noise():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 4, 32, 32)
    assert float(ssim(x, x)) == pytest.approx(1.0)
    noisy = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    assert float(ssim(noisy, x)) < 0.9
    assert float(ssim(x[:, :, 0], x[:, :, 0])) == pytest.approx(1.0)  # images too
    small = torch.rand(1, 1, 2, 6, 6)
    assert float(ssim(small, small)) == pytest.approx(1.0)  # window shrinks to the frame


def test_ssim_is_per_frame_average():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 2, 16, 16)
    y = x.clone()
    y[:, :, 1] = torch.rand(1, 3, 16, 16)
    expected = (1.0 + float(ssim(y[:, :, 1], x[:, :, 1]))) / 2
    assert float(ssim(y, x)) == pytest.approx(expected)


def test_perplexity_and_usage():
    assert perplexity(torch.tensor([0, 1, 2, 3]), 8) == pytest.approx(4.0)
    assert codebook_usage(torch.tensor([0, 1, 2, 3]), 8) == 0.5


# ----------------------------------------------------------------------------- evaluation


@pytest.fixture
def checkpoint(tmp_path):
    """A checkpoint as `magvit train` writes one, of a tiny untrained model."""
    torch.manual_seed(0)
    cfg = TokenizerConfig(**TINY)
    model = VQTokenizer(cfg)
    model(torch.rand(2, 3, 8, 16, 16))  # one training-mode pass initialises the codebook
    path = tmp_path / "run" / "checkpoints" / "step-00000001.pt"
    path.parent.mkdir(parents=True)
    torch.save(
        {"model": model.state_dict(), "config": {"tokenizer": cfg.to_dict(), "train": {"seed": 5, "val_fraction": 0.25}},
         "stage": "tokenizer", "step": 1, "epoch": 0},
        path,
    )
    return path


def test_evaluate_uses_the_runs_held_out_clips(checkpoint, small_dataset, tmp_path):
    result = ev.evaluate(checkpoint, small_dataset, out_dir=tmp_path / "eval")
    _, val_idx = split_indices(24, 0.25, 5)
    assert result.clips == len(val_idx) == 6
    x, _ = load_clips(small_dataset, indices=val_idx)
    model, _ = ev.load_model(checkpoint)
    with torch.no_grad():
        recon = model(x).recon.clamp(0, 1)
    assert result.psnr == pytest.approx(float(psnr(recon, x)))
    assert result.ssim == pytest.approx(float(ssim(recon, x)))
    baseline = x.mean(2, keepdim=True).expand_as(x)
    assert result.baseline_psnr == pytest.approx(float(psnr(baseline, x)))
    assert result.psnr_gain == pytest.approx(result.psnr - result.baseline_psnr)
    assert 0 < result.codebook_usage <= 1 and result.codebook_size == 16
    assert result.step == 1


def test_evaluate_writes_grid_and_json(checkpoint, small_dataset, tmp_path):
    out = tmp_path / "eval"
    result = ev.evaluate(checkpoint, small_dataset, out_dir=out, grid_clips=3, grid_frames=4)
    image = Image.open(out / ev.GRID_NAME)
    # 3 clips x (original + 1 px line + reconstruction) with 2 px gaps between clips, 4 frames, scale 2
    assert image.size == ((4 * 16 + 3 * 2) * 2, (3 * (2 * 16 + 1) + 2 * 2) * 2)
    saved = json.loads((out / ev.RESULT_NAME).read_text())
    assert saved["psnr"] == pytest.approx(result.psnr) and saved["clips"] == 6
    # the disk in the reconstructions, every frame: where it is, whether it is there, its colour per channel
    recon = saved["objects"]["references"]["reconstruction"]
    assert saved["objects"]["horizons"] == 8 and len(recon["centroid_error"]) == 8
    assert len(recon["colour_error"]) == len(recon["colour_bias"]) == 3
    assert recon["mean_centroid_error"] == pytest.approx(result.objects.references["reconstruction"].mean_centroid_error)


def test_grid_rows_are_originals_then_reconstructions(tmp_path):
    original = torch.zeros(1, 3, 2, 4, 4)
    recon = torch.ones(1, 3, 2, 4, 4)
    path = ev.save_grid(original, recon, tmp_path / "g.png", frames=2, scale=1)
    img = np.asarray(Image.open(path))
    assert img.shape == (9, 10, 3)
    assert (img[:4, :4] == 0).all() and (img[5:, :4] == 255).all()


def test_default_out_dir_is_the_runs_eval_folder(tmp_path):
    assert ev.default_out_dir(tmp_path / "run" / "checkpoints" / "best.pt") == (tmp_path / "run" / "eval").resolve()
    assert ev.default_out_dir(tmp_path / "model.pt") == (tmp_path / "eval").resolve()


def test_evaluate_errors(checkpoint, small_dataset, tmp_path):
    with pytest.raises(ev.EvalError, match="no such checkpoint"):
        ev.evaluate(tmp_path / "none.pt", small_dataset)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"junk")
    with pytest.raises(ev.EvalError, match="junk.pt"):
        ev.evaluate(junk, small_dataset)
    saved = torch.load(checkpoint, weights_only=True)
    del saved["config"]["train"]["seed"]
    torch.save(saved, tmp_path / "noseed.pt")
    with pytest.raises(ev.EvalError, match="train.seed"):
        ev.evaluate(tmp_path / "noseed.pt", small_dataset)
    with pytest.raises(ev.EvalError, match="missing.npz"):
        ev.evaluate(checkpoint, tmp_path / "missing.npz")


# ----------------------------------------------------------------------------- CLI


def test_cli_eval_prints_a_table_and_writes_to_the_run(checkpoint, small_dataset):
    result = CliRunner().invoke(main, ["eval", "--checkpoint", str(checkpoint), "--data", str(small_dataset)])
    assert result.exit_code == 0, result.output
    assert "mean-frame baseline" in result.output and "codebook usage" in result.output
    assert (checkpoint.parent.parent / "eval" / ev.GRID_NAME).exists()


def test_cli_eval_json(checkpoint, small_dataset, tmp_path):
    result = CliRunner().invoke(
        main, ["eval", "--checkpoint", str(checkpoint), "--data", str(small_dataset), "--out", str(tmp_path / "e"), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {"psnr", "ssim", "baseline_psnr", "psnr_gain", "codebook_usage", "perplexity", "clips"} <= set(payload)
    assert payload["grid"] == str(tmp_path / "e" / ev.GRID_NAME)
    assert "colour_error" in payload["objects"]["references"]["reconstruction"]


def test_cli_eval_missing_checkpoint_exit_2(small_dataset, tmp_path):
    result = CliRunner().invoke(main, ["eval", "--checkpoint", str(tmp_path / "gone.pt"), "--data", str(small_dataset)])
    assert result.exit_code == 2 and "gone.pt" in result.output
