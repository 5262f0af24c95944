"""Frame prediction: the condition clip, the stage in process (frozen tokenizer, masks, validation),
`magvit generate` (GIFs, PNG strips, JSON) and `magvit eval` on a transformer checkpoint."""

from __future__ import annotations

import io
import json

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from magvit.cli import main
from magvit.stages.transformer import condition_clip, condition_sources

try:
    from stage2_helpers import TRANSFORMER_TINY, train_tiny_transformer
except ImportError:  # tests/magvit became a package
    from .stage2_helpers import (  # type: ignore[no-redef]
        TRANSFORMER_TINY, train_tiny_transformer,
    )  # fmt: skip


def test_condition_clip_repeats_the_last_given_frame_for_prediction():
    given = torch.tensor([True, False, False])  # 3 latent frames of 2 video frames
    assert condition_sources(given, 2).tolist() == [0, 1, 1, 1, 1, 1]
    x = torch.arange(6.0).reshape(1, 1, 6, 1, 1)
    assert condition_clip(x, given, 2).flatten().tolist() == [0, 1, 1, 1, 1, 1]


def test_condition_clip_for_interpolation_takes_the_nearest_given_frame():
    given = torch.tensor([True, False, False, True])
    assert condition_sources(given, 2).tolist() == [0, 1, 1, 1, 6, 6, 6, 7]


@pytest.fixture(scope="module")
def transformer(tmp_path_factory, data, tokenizer):
    run_dir = tmp_path_factory.mktemp("transformer") / "run"
    result = train_tiny_transformer(data, run_dir, tokenizer)
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir / "checkpoints" / "final.pt"


def tiny_stage(tokenizer, **transformer_fields):
    import dataclasses

    from magvit.config import load_run_config
    from magvit.distributed import Dist
    from magvit.stages.transformer import TransformerStage

    config = load_run_config(TRANSFORMER_TINY)
    config = dataclasses.replace(config, transformer=dataclasses.replace(
        config.transformer, tokenizer_checkpoint=str(tokenizer), **transformer_fields))
    torch.manual_seed(0)
    return TransformerStage(config, n_train=8, dist=Dist())


def test_stage_trains_the_transformer_and_leaves_the_tokenizer_frozen(tokenizer, data):
    from magvit.data import load_clips

    stage = tiny_stage(tokenizer)
    x = load_clips(data)[0][:4]
    frozen_before = {k: v.clone() for k, v in stage.tokenizer.model.state_dict().items()}
    weights_before = {k: v.clone() for k, v in stage.model.state_dict().items()}
    first = stage.validate(x, 4)
    for _ in range(5):
        losses = stage.train_step(x, len(x), stage.dist)
    assert set(losses) >= {"train", "masked_acc"}
    for key, value in stage.tokenizer.model.state_dict().items():
        assert torch.equal(value, frozen_before[key]), f"tokenizer {key} changed"
    assert any(not torch.equal(v, weights_before[k]) for k, v in stage.model.state_dict().items())
    assert not any(p.requires_grad for p in stage.tokenizer.model.parameters())
    # validation draws its masks from its own seed: same metrics twice, and no training RNG consumed
    rng = stage.mask_rng.get_state()
    again = stage.validate(x, 4), stage.validate(x, 4)
    assert again[0] == again[1] and torch.equal(rng, stage.mask_rng.get_state())
    assert set(first) == {"val_loss", "val_masked_acc"}


def test_interpolation_gives_both_ends_and_predicts_the_middle(tokenizer, small_dataset):
    """The tiny tokenizer (convolutional) on 8-frame clips: 4 latent frames, the first and last given."""
    from magvit.data import load_clips
    from magvit.generate import FramePredictor, predict

    stage = tiny_stage(tokenizer, task="interpolate", clip_shape=(8, 16, 16))
    x = load_clips(small_dataset)[0][:4]
    assert stage.given[:, 0, 0].tolist() == [True, False, False, True]
    for _ in range(3):
        losses = stage.train_step(x, len(x), stage.dist)
    assert losses["train"] > 0
    predictor = FramePredictor(model=stage.model.eval(), tokenizer=stage.tokenizer, config=stage.cfg,
                               run_config={}, checkpoint="in memory", step=None)
    result = predict(predictor, x, generator=torch.Generator().manual_seed(0))
    # latent frames of 2 video frames: 0-1 and 6-7 given, 2-5 predicted
    assert result.predicted_frames.tolist() == [False, False, True, True, True, True, False, False]
    assert torch.equal(result.baseline[:, :, 2:4], x[:, :, 1:2].expand(-1, -1, 2, -1, -1))
    assert torch.equal(result.baseline[:, :, 4:6], x[:, :, 6:7].expand(-1, -1, 2, -1, -1))
    assert result.predicted.shape == x.shape and result.psnr_by_frame(result.predicted).shape == (4, 4)


def test_each_rank_masks_its_own_share_of_the_global_batch(tokenizer):
    """Two ranks' masks, side by side, are the one-process masks of the same global batch."""
    from magvit.distributed import Dist

    single = tiny_stage(tokenizer).training_masks(8, Dist())
    ranks = [tiny_stage(tokenizer) for _ in range(2)]
    shares = [stage.training_masks(8, Dist(rank=r, world_size=2)) for r, stage in enumerate(ranks)]
    assert torch.equal(torch.cat(shares), single)
    assert torch.equal(ranks[0].mask_rng.get_state(), ranks[1].mask_rng.get_state())


def test_state_dict_round_trip_continues_identically(tokenizer, data):
    from magvit.data import load_clips

    x = load_clips(data)[0][:4]
    a = tiny_stage(tokenizer)
    a.train_step(x, len(x), a.dist)
    buffer = io.BytesIO()  # through bytes, as a checkpoint goes: loadable with weights_only=True
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    b = tiny_stage(tokenizer)
    b.load_state_dict(saved)
    torch.manual_seed(5)
    la = a.train_step(x, len(x), a.dist)
    torch.manual_seed(5)
    lb = b.train_step(x, len(x), b.dist)
    assert la == lb
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key])


@pytest.mark.slow  # trains a tiny tokenizer and transformer in subprocesses (once per module)
def test_generate_writes_gifs_strips_and_a_summary(tmp_path, transformer, data):
    out = tmp_path / "gen"
    result = CliRunner().invoke(main, ["generate", "--checkpoint", str(transformer), "--data", str(data),
                                       "--out", str(out), "--n", "3"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "copy-last-frame baseline" in result.output
    gifs, pngs = sorted(out.glob("clip-*.gif")), sorted(out.glob("clip-*.png"))
    assert len(gifs) == 3 and len(pngs) == 3
    with Image.open(gifs[0]) as gif:
        assert gif.n_frames == 4  # every video frame of the clip
        assert gif.width > 3 * 16 and gif.height >= 16
    with Image.open(pngs[0]) as strip:  # three rows (truth, prediction, baseline) of four frames
        assert strip.width > 4 * 16 and strip.height > 3 * 16
    summary = json.loads((out / "generate.json").read_text())
    assert summary["clips"] == 3 and summary["condition_frames"] == 1
    assert summary["predicted_video_frames"] == 2  # latent frame 1 of 2 covers video frames 2-3
    assert len(summary["per_clip_psnr"]) == 3
    for key in ("psnr", "baseline_psnr", "reconstruction_psnr"):
        assert 0 < summary[key] < 100
    # the disk, by horizon, for the prediction and its three references; the chart beside them
    references = summary["objects"]["references"]
    assert set(references) == {"prediction", "copy_last_frame", "constant_velocity", "reconstruction"}
    for scores in references.values():
        assert len(scores["centroid_error"]) == len(scores["visible"]) == 2
        assert len(scores["colour_error"]) == 3 and 0 <= scores["visible_share"] <= 1
    assert references["copy_last_frame"]["visible_share"] == 1.0  # a copied disk is always there
    assert summary["objects"]["clips"] == 3
    with Image.open(out / "horizons.png") as chart:
        assert chart.width > 600
    assert "centroid error (px) by frame" in result.output


@pytest.mark.slow
def test_generate_is_reproducible_for_a_seed(tmp_path, transformer, data):
    args = ["generate", "--checkpoint", str(transformer), "--data", str(data), "--n", "2", "--seed", "3"]
    a = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    b = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b")])
    assert a.exit_code == b.exit_code == 0
    assert (tmp_path / "a" / "clip-000.png").read_bytes() == (tmp_path / "b" / "clip-000.png").read_bytes()


@pytest.mark.slow
def test_eval_of_a_transformer_checkpoint_reports_accuracy_and_prediction_psnr(tmp_path, transformer, data):
    result = CliRunner().invoke(main, ["eval", "--checkpoint", str(transformer), "--data", str(data),
                                       "--out", str(tmp_path), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["stage"] == "transformer"
    assert figures["clips"] == 6  # val_fraction 0.25 of 24
    assert 0 <= figures["masked_token_accuracy"] <= 1
    assert figures["psnr_gain"] == pytest.approx(figures["psnr"] - figures["baseline_psnr"])
    # PSNR by how far ahead the frame is: one value per predicted video frame, for both
    assert len(figures["frame_psnr"]) == len(figures["frame_baseline_psnr"]) == figures["predicted_video_frames"]
    assert all(0 < v < 100 for v in figures["frame_psnr"] + figures["frame_baseline_psnr"])
    assert json.loads((tmp_path / "eval.json").read_text())["psnr"] == figures["psnr"]
    objects = figures["objects"]
    assert objects["clips"] == 6 and objects["horizons"] == figures["predicted_video_frames"]
    prediction = objects["references"]["prediction"]
    assert prediction["mean_psnr"] == pytest.approx(figures["psnr"], abs=0.5)  # per-frame mean vs per-clip mean
    assert objects["references"]["reconstruction"]["mean_centroid_error"] >= 0
    assert set(objects["by_kind"]) <= {"linear", "ballistic", "circular", "sinusoidal"}
    assert (tmp_path / "horizons.png").stat().st_size > 1000 and figures["chart"].endswith("horizons.png")
    table = CliRunner().invoke(main, ["eval", "--checkpoint", str(transformer), "--data", str(data),
                                      "--out", str(tmp_path)])  # fmt: skip
    assert "copy-last-frame baseline" in table.output and "masked-token top-1 accuracy" in table.output
    assert "by frame" in table.output
    assert "constant velocity" in table.output and "visible" in table.output


def test_generate_refuses_a_tokenizer_checkpoint(tmp_path, tokenizer, data):
    result = CliRunner().invoke(main, ["generate", "--checkpoint", str(tokenizer), "--data", str(data),
                                       "--out", str(tmp_path / "gen")])  # fmt: skip
    assert result.exit_code == 2
    assert "not a transformer checkpoint" in result.output


@pytest.mark.slow
def test_generate_refuses_more_condition_frames_than_the_grid_allows(tmp_path, transformer, data):
    result = CliRunner().invoke(main, ["generate", "--checkpoint", str(transformer), "--data", str(data),
                                       "--out", str(tmp_path / "gen"), "--condition-frames", "2"])  # fmt: skip
    assert result.exit_code == 2
    assert "latent frames" in result.output


@pytest.mark.slow
def test_a_missing_tokenizer_names_the_way_to_point_at_it(tmp_path, transformer, data):
    result = CliRunner().invoke(main, ["generate", "--checkpoint", str(transformer), "--data", str(data),
                                       "--out", str(tmp_path / "gen"), "--tokenizer", str(tmp_path / "moved.pt")])
    assert result.exit_code == 2
    assert "moved.pt" in result.output and "no such checkpoint file" in result.output
    assert "--tokenizer" in result.output


@pytest.mark.slow
def test_eval_takes_a_moved_tokenizer(tmp_path, transformer, tokenizer, data):
    moved = tmp_path / "moved.pt"
    moved.write_bytes(tokenizer.read_bytes())
    result = CliRunner().invoke(main, ["eval", "--checkpoint", str(transformer), "--data", str(data),
                                       "--out", str(tmp_path / "eval"), "--tokenizer", str(moved), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stage"] == "transformer"


@pytest.mark.slow
def test_frame_by_frame_decoding_fills_every_latent_frame(transformer, data):
    import dataclasses

    from magvit.loading import load_held_out
    from magvit.generate import load_predictor, predict

    predictor = load_predictor(transformer)
    ordered = dataclasses.replace(predictor, config=dataclasses.replace(predictor.config, decode_order="frames"))
    x = load_held_out(data, predictor.run_config).x[:2]
    result = predict(ordered, x, generator=torch.Generator().manual_seed(0))
    assert result.predicted.shape == x.shape and 0 <= result.token_accuracy <= 1
    assert bool((result.predicted >= 0).all() and (result.predicted <= 1).all())
