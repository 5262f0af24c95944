"""Evaluate a checkpoint on the held-out clips of its run.

A tokenizer checkpoint: reconstruction PSNR and SSIM, codebook usage and perplexity over the
whole held-out set, the PSNR and SSIM of the trivial baseline (each clip's mean frame
repeated), the disk's centroid error, visibility and per-channel colour error in the
reconstructions (`magvit.objects`), and a PNG grid of originals against reconstructions. A
transformer checkpoint (`evaluate_transformer`): masked-token top-1 accuracy, and for the
frames predicted from the given latent frames the disk's centroid error, visibility and colour
error by horizon, PSNR and SSIM, against copy-last-frame, constant-velocity extrapolation and
the tokenizer's reconstruction (the ceiling), with a PNG chart by horizon.
The held-out clips are the ones the trainer validated on: `split_indices(n,
train.val_fraction, train.seed)` with the run's own settings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from magvit import objects as object_metrics
from magvit.atomic import atomic_write_text
from magvit.metrics import codebook_usage, perplexity, psnr, ssim
from magvit.errors import EvalError
from magvit.rundir import CHECKPOINTS_DIR
from magvit.loading import load_held_out, load_model, read_checkpoint

GRID_NAME = "recon_grid.png"
RESULT_NAME = "eval.json"
CHART_NAME = "horizons.png"


@dataclass(frozen=True)
class EvalResult:
    """Held-out figures of one checkpoint."""

    checkpoint: str
    data: str
    step: int | None
    clips: int
    """Held-out clips evaluated."""
    psnr: float
    """Mean per-clip PSNR (dB) of the clamped reconstructions."""
    ssim: float
    """Mean per-clip SSIM (per-frame gaussian SSIM averaged over frames and channels)."""
    baseline_psnr: float
    """Mean per-clip PSNR of the mean-frame baseline."""
    baseline_ssim: float
    codebook_usage: float
    """Fraction of the codebook used over all held-out tokens."""
    perplexity: float
    codebook_size: int
    grid: str | None
    """Path of the PNG grid, when written."""
    weights: str = "model"
    """Which weights were evaluated: `model`, or `generator_ema` for an adversarial run (the ones it validated)."""
    objects: object_metrics.ObjectReport | None = None
    """The disk in the reconstructions, every frame: centroid error, visibility, per-channel colour error
    (None when the data set stores no positions)."""

    @property
    def psnr_gain(self) -> float:
        """dB above the mean-frame baseline."""
        return self.psnr - self.baseline_psnr

    def to_dict(self) -> dict[str, Any]:
        values = {k: v for k, v in asdict(self).items() if k != "objects"}
        return {**values, "psnr_gain": self.psnr_gain,
                "objects": self.objects.to_dict() if self.objects is not None else None}


def mean_frame_baseline(x: torch.Tensor) -> torch.Tensor:
    """Each clip's mean frame repeated over time: the trivial reconstruction to beat."""
    return x.mean(dim=2, keepdim=True).expand_as(x)


def evaluate(
    checkpoint: str | os.PathLike,
    data: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    batch_size: int = 16,
    grid_clips: int = 4,
    grid_frames: int = 8,
) -> EvalResult:
    """Evaluate `checkpoint` on the held-out clips of `data`; write the grid and eval.json to `out_dir`."""
    model, saved = load_model(checkpoint)
    clips = load_held_out(data, saved["config"])
    x = clips.x
    try:
        model.config.token_shape(*x.shape[2:])
    except ValueError as exc:
        raise EvalError(f"{data}: clips do not fit the model: {exc}") from exc
    if x.shape[1] != model.config.in_channels:
        raise EvalError(f"{data}: clips have {x.shape[1]} channels, the model expects {model.config.in_channels}")

    recon_psnr, recon_ssim, base_psnr, base_ssim, indices, shown, recons = [], [], [], [], [], [], []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            clip = x[start : start + batch_size]
            out = model(clip)
            recon = out.recon.clamp(0, 1)
            base = mean_frame_baseline(clip)
            recon_psnr.append(psnr(recon, clip, reduction="none"))
            recon_ssim.append(ssim(recon, clip, reduction="none"))
            base_psnr.append(psnr(base, clip, reduction="none"))
            base_ssim.append(ssim(base, clip, reduction="none"))
            indices.append(out.indices)
            recons.append(recon)
            if sum(len(s) for s in shown) < grid_clips:
                shown.append(recon)
    all_idx = torch.cat(indices)
    k = model.config.codebook_size

    grid_path = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        grid_path = out_dir / GRID_NAME
        n_grid = min(grid_clips, len(x))
        save_grid(x[:n_grid], torch.cat(shown)[:n_grid], grid_path, frames=grid_frames)

    result = EvalResult(
        checkpoint=str(checkpoint),
        data=str(data),
        step=saved.get("step"),
        clips=len(x),
        psnr=float(torch.cat(recon_psnr).mean()),
        ssim=float(torch.cat(recon_ssim).mean()),
        baseline_psnr=float(torch.cat(base_psnr).mean()),
        baseline_ssim=float(torch.cat(base_ssim).mean()),
        codebook_usage=codebook_usage(all_idx, k),
        perplexity=perplexity(all_idx, k),
        codebook_size=k,
        grid=str(grid_path) if grid_path else None,
        weights="generator_ema" if "generator_ema" in saved else "model",
        objects=None if clips.positions is None else object_metrics.score(
            x, {"reconstruction": torch.cat(recons)}, clips.positions, torch.ones(x.shape[2], dtype=torch.bool),
            clips.labels, clips.label_names),
    )
    if out_dir is not None:
        atomic_write_text(Path(out_dir) / RESULT_NAME, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def default_out_dir(checkpoint: str | os.PathLike) -> Path:
    """RUN_DIR/eval for RUN_DIR/checkpoints/x.pt, else an `eval` folder beside the checkpoint."""
    parent = Path(checkpoint).resolve().parent
    return (parent.parent if parent.name == CHECKPOINTS_DIR else parent) / "eval"


def save_grid(original: torch.Tensor, recon: torch.Tensor, path: Path, frames: int = 8, scale: int = 2) -> Path:
    """PNG of `frames` evenly spaced frames: per clip a row of originals over a row of reconstructions."""
    from PIL import Image

    _, c, t, h, w = original.shape
    cols = np.unique(np.linspace(0, t - 1, min(frames, t)).round().astype(int))
    gap = 2
    width = len(cols) * (w + gap) - gap
    rows = []
    for clip_o, clip_r in zip(original, recon):
        for k, clip in enumerate((clip_o, clip_r)):
            row = np.ones((h, width, c), dtype=np.float32)
            for j, f in enumerate(cols):
                row[:, j * (w + gap) : j * (w + gap) + w] = clip[:, f].permute(1, 2, 0).numpy()
            rows.append(row)
            if k == 0:  # a thin grey line between a clip's originals and its reconstructions
                rows.append(np.full((1, width, c), 0.5, dtype=np.float32))
        rows.append(np.ones((gap, width, c), dtype=np.float32))
    grid = np.concatenate(rows[:-1], axis=0)
    img = np.rint(np.clip(grid, 0, 1) * 255).astype(np.uint8)
    if c == 1:
        img = img[..., 0]
    image = Image.fromarray(img)
    image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def format_table(result: EvalResult) -> str:
    """The small table `magvit eval` prints."""
    lines = [
        f"held-out clips: {result.clips}   checkpoint step: {result.step}   weights: {result.weights}",
        f"{'':<22}{'PSNR (dB)':>10}{'SSIM':>8}",
        f"{'reconstruction':<22}{result.psnr:>10.2f}{result.ssim:>8.3f}",
        f"{'mean-frame baseline':<22}{result.baseline_psnr:>10.2f}{result.baseline_ssim:>8.3f}",
        f"{'gain over baseline':<22}{result.psnr_gain:>10.2f}",
        f"codebook usage: {result.codebook_usage:.1%} of {result.codebook_size} codes   perplexity: {result.perplexity:.1f}",
    ]
    if result.objects is not None:
        recon = result.objects.references["reconstruction"]
        lines += [
            f"the disk in the reconstructions ({result.objects.horizons} frames a clip):",
            f"  centroid error {recon.mean_centroid_error:.2f} px   visible in {recon.visible_share:.1%} of frames",
            "  colour error (0-255) R G B: " + " ".join(f"{v:.1f}" for v in recon.colour_error)
            + "   bias: " + " ".join(f"{v:+.1f}" for v in recon.colour_bias),
        ]
    if result.grid:
        lines.append(f"grid: {result.grid}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- transformer


def checkpoint_stage(checkpoint: str | os.PathLike) -> str:
    """The stage a checkpoint was written by (`tokenizer` for files older than the stages)."""
    saved = read_checkpoint(checkpoint)
    return str(saved.get("stage", "tokenizer")) if isinstance(saved, dict) else "unknown"


@dataclass(frozen=True)
class TransformerEvalResult:
    """Held-out figures of one transformer checkpoint."""

    checkpoint: str
    data: str
    step: int | None
    clips: int
    """Held-out clips evaluated."""
    task: str
    condition_frames: int
    """Latent frames given."""
    predicted_video_frames: int
    """Video frames per clip that were predicted (the PSNR figures are over these only)."""
    decode_steps: int
    temperature: float
    masked_token_accuracy: float
    """Top-1 accuracy on held-out tokens masked by the cosine schedule (fixed seed, as in validation)."""
    masked_token_loss: float
    prediction_token_accuracy: float
    """Share of the MaskGIT-decoded tokens equal to the true clip's tokens."""
    psnr: float
    """Mean per-clip PSNR (dB) of the predicted frames."""
    baseline_psnr: float
    """The same for the copy-last-frame baseline (the last given frame repeated)."""
    reconstruction_psnr: float
    """The same for the tokenizer's reconstruction of the true clip: the ceiling of perfect token prediction."""
    frame_psnr: list[float]
    """Mean PSNR of each predicted frame in time order (the first is the one after the last given frame)."""
    frame_baseline_psnr: list[float]
    """The same for the copy-last-frame baseline: how fast copying falls behind."""
    choice_temperature: float = 0.0
    decode_order: str = "joint"
    objects: object_metrics.ObjectReport | None = None
    """The disk in the predicted frames by horizon (centroid error, visibility, colour error, PSNR, SSIM) for
    the prediction, copy-last-frame, constant velocity and the tokenizer's reconstruction (None without positions)."""
    chart: str | None = None
    """Path of the PNG chart of the object scores by horizon, when written."""

    @property
    def psnr_gain(self) -> float:
        """dB above the copy-last-frame baseline."""
        return self.psnr - self.baseline_psnr

    def to_dict(self) -> dict[str, Any]:
        values = {k: v for k, v in asdict(self).items() if k != "objects"}
        return {**values, "stage": "transformer", "psnr_gain": self.psnr_gain,
                "objects": self.objects.to_dict() if self.objects is not None else None}


def evaluate_transformer(checkpoint: str | os.PathLike, data: str | os.PathLike,
                         out_dir: str | os.PathLike | None = None, batch_size: int = 16,
                         seed: int = 0, tokenizer: str | os.PathLike | None = None,
                         choice_temperature: float | None = None, decode_order: str | None = None
                         ) -> TransformerEvalResult:
    """Evaluate a transformer checkpoint on the held-out clips of `data`; write eval.json and the
    horizon chart to `out_dir`. `tokenizer` overrides the tokenizer path the checkpoint records
    (its sha256 must match); `choice_temperature` and `decode_order` its decoding settings."""
    from magvit.generate import (
        GenerateError, concat_predictions, load_predictor, object_report, predict, with_decoding,
    )  # fmt: skip
    from magvit.stages.transformer import TokenCache, masked_token_metrics

    try:
        predictor = with_decoding(load_predictor(checkpoint, tokenizer), choice_temperature, decode_order)
        clips = load_held_out(data, predictor.run_config)
        x = clips.x
        cfg = predictor.config
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            given = predictor.given()
            tokens_of = TokenCache(predictor.tokenizer, given)
            loss, accuracy = masked_token_metrics(predictor.model, tokens_of, given, x, batch_size)
            prediction = concat_predictions([predict(predictor, x[start:start + batch_size], generator=generator)
                                             for start in range(0, len(x), batch_size)])
    except GenerateError as exc:
        raise EvalError(str(exc)) from exc
    report = object_report(prediction, clips)
    chart = None
    if out_dir is not None and report is not None:
        from magvit.charts import horizon_chart

        chart = str(horizon_chart(report, Path(out_dir) / CHART_NAME,
                                  title=f"{report.clips} held-out clips, checkpoint step {predictor.step}"))

    def by_frame(video: torch.Tensor) -> list[float]:
        return [round(float(v), 3) for v in prediction.psnr_by_frame(video).mean(0)]

    def mean_psnr(video: torch.Tensor) -> float:
        return float(prediction.psnr_of_predicted_frames(video).mean())

    result = TransformerEvalResult(
        checkpoint=str(checkpoint), data=str(data), step=predictor.step, clips=len(x), task=cfg.task,
        condition_frames=cfg.condition_frames, predicted_video_frames=int(prediction.predicted_frames.sum()),
        decode_steps=cfg.decode_steps, temperature=cfg.temperature,
        masked_token_accuracy=accuracy, masked_token_loss=loss,
        prediction_token_accuracy=prediction.token_accuracy,
        psnr=mean_psnr(prediction.predicted), baseline_psnr=mean_psnr(prediction.baseline),
        reconstruction_psnr=mean_psnr(prediction.reconstruction),
        frame_psnr=by_frame(prediction.predicted), frame_baseline_psnr=by_frame(prediction.baseline),
        choice_temperature=cfg.choice_temperature, decode_order=cfg.decode_order, objects=report, chart=chart,
    )  # fmt: skip
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / RESULT_NAME, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def format_transformer_table(result: TransformerEvalResult) -> str:
    """The table `magvit eval` prints for a transformer checkpoint."""
    return "\n".join([
        f"held-out clips: {result.clips}   checkpoint step: {result.step}   task: {result.task}, "
        f"{result.condition_frames} latent frame(s) given, {result.predicted_video_frames} video frames predicted",
        f"masked-token top-1 accuracy: {result.masked_token_accuracy:.1%}   (cross-entropy {result.masked_token_loss:.3f})",
        f"MaskGIT decoding ({result.decode_steps} steps, temperature {result.temperature:g}, choice temperature "
        f"{result.choice_temperature:g}, order {result.decode_order}): "
        f"{result.prediction_token_accuracy:.1%} of predicted tokens exact",
        f"{'predicted frames':<28}{'PSNR (dB)':>10}",
        f"{'frame prediction':<28}{result.psnr:>10.2f}",
        f"{'copy-last-frame baseline':<28}{result.baseline_psnr:>10.2f}",
        f"{'gain over baseline':<28}{result.psnr_gain:>10.2f}",
        f"{'tokenizer ceiling':<28}{result.reconstruction_psnr:>10.2f}",
        "PSNR (dB) by frame after the given ones:",
        f"{'  frame':<28}" + "".join(f"{k:>6}" for k in range(1, len(result.frame_psnr) + 1)),
        f"{'  prediction':<28}" + "".join(f"{v:>6.1f}" for v in result.frame_psnr),
        f"{'  copy-last-frame':<28}" + "".join(f"{v:>6.1f}" for v in result.frame_baseline_psnr),
        *([object_metrics.format_report(result.objects)] if result.objects is not None else []),
        *([f"chart: {result.chart}"] if result.chart else []),
    ])  # fmt: skip
