"""Evaluate a checkpoint on the held-out clips of its run.

A tokenizer checkpoint: reconstruction PSNR and SSIM, codebook usage and perplexity over the
whole held-out set, the PSNR and SSIM of the trivial baseline (each clip's mean frame
repeated), and a PNG grid of originals against reconstructions. A transformer checkpoint
(`evaluate_transformer`): masked-token top-1 accuracy, and the PSNR of frames predicted from
the given latent frames against the copy-last-frame baseline and the tokenizer's ceiling.
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

from magvit.atomic import atomic_write_text
from magvit.data import DataFileError, load_clips, split_indices
from magvit.metrics import codebook_usage, perplexity, psnr, ssim
from magvit.models import TokenizerConfig, VQTokenizer

GRID_NAME = "recon_grid.png"
RESULT_NAME = "eval.json"


class EvalError(Exception):
    """The checkpoint or data set cannot be evaluated; the message says which and why."""


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

    @property
    def psnr_gain(self) -> float:
        """dB above the mean-frame baseline."""
        return self.psnr - self.baseline_psnr

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "psnr_gain": self.psnr_gain}


def read_checkpoint(checkpoint: str | os.PathLike, error: type[Exception] = EvalError) -> Any:
    """A checkpoint file's contents (tensors on the CPU, `weights_only=True`), or `error` naming the file."""
    path = Path(checkpoint)
    if not path.is_file():
        raise error(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated files, foreign pickles: all unusable
        raise error(f"{path}: cannot be loaded as a checkpoint ({exc})") from exc


def load_model(checkpoint: str | os.PathLike) -> tuple[VQTokenizer, dict[str, Any]]:
    """The tokenizer of a checkpoint (in eval mode) and the checkpoint dict."""
    path = Path(checkpoint)
    saved = read_checkpoint(path)
    if not isinstance(saved, dict) or "model" not in saved or not isinstance(saved.get("config"), dict):
        raise EvalError(f"{path}: not a tokenizer checkpoint (needs 'model' and 'config' entries)")
    if saved.get("stage", "tokenizer") != "tokenizer":
        raise EvalError(f"{path}: a {saved['stage']!r} checkpoint, not a tokenizer's")
    config = saved["config"]
    try:
        model = VQTokenizer(TokenizerConfig.from_dict(config.get("tokenizer") or {}))
        # an adversarial run validates with its generator EMA, so evaluation uses it too
        model.load_state_dict(saved.get("generator_ema", saved["model"]))
    except (ValueError, RuntimeError, TypeError) as exc:
        raise EvalError(f"{path}: the model does not match its config ({exc})") from exc
    return model.eval(), saved


def held_out(config: dict[str, Any], n: int) -> np.ndarray:
    """Indices of the held-out clips for the run's train.seed and train.val_fraction."""
    train = config.get("train") or {}
    if "seed" not in train or "val_fraction" not in train:
        raise EvalError("the checkpoint's config has no train.seed / train.val_fraction to rebuild the split")
    _, val_idx = split_indices(n, float(train["val_fraction"]), int(train["seed"]))
    if len(val_idx) == 0:
        raise EvalError("the run holds out no clips (train.val_fraction is 0)")
    return val_idx


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
    try:
        videos, _labels = load_clips(data)
    except DataFileError as exc:
        raise EvalError(str(exc)) from exc
    x = videos[torch.from_numpy(held_out(saved["config"], len(videos)))]
    try:
        model.config.token_shape(*x.shape[2:])
    except ValueError as exc:
        raise EvalError(f"{data}: clips do not fit the model: {exc}") from exc
    if x.shape[1] != model.config.in_channels:
        raise EvalError(f"{data}: clips have {x.shape[1]} channels, the model expects {model.config.in_channels}")

    recon_psnr, recon_ssim, base_psnr, base_ssim, indices, shown = [], [], [], [], [], []
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
    )
    if out_dir is not None:
        atomic_write_text(Path(out_dir) / RESULT_NAME, json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def default_out_dir(checkpoint: str | os.PathLike) -> Path:
    """RUN_DIR/eval for RUN_DIR/checkpoints/x.pt, else an `eval` folder beside the checkpoint."""
    parent = Path(checkpoint).resolve().parent
    return (parent.parent if parent.name == "checkpoints" else parent) / "eval"


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

    @property
    def psnr_gain(self) -> float:
        """dB above the copy-last-frame baseline."""
        return self.psnr - self.baseline_psnr

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "stage": "transformer", "psnr_gain": self.psnr_gain}


def evaluate_transformer(checkpoint: str | os.PathLike, data: str | os.PathLike,
                         out_dir: str | os.PathLike | None = None, batch_size: int = 16,
                         seed: int = 0, tokenizer: str | os.PathLike | None = None) -> TransformerEvalResult:
    """Evaluate a transformer checkpoint on the held-out clips of `data`; write eval.json to `out_dir`.
    `tokenizer` overrides the tokenizer path the checkpoint records (its sha256 must match)."""
    from magvit.generate import GenerateError, held_out_clips, load_predictor, predict
    from magvit.stages.transformer import TokenCache, masked_token_metrics

    try:
        predictor = load_predictor(checkpoint, tokenizer)
        x = held_out_clips(predictor, data)
        cfg = predictor.config
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            given = predictor.given()
            tokens_of = TokenCache(predictor.tokenizer, given)
            loss, accuracy = masked_token_metrics(predictor.model, tokens_of, given, x, batch_size)
            parts = [predict(predictor, x[start:start + batch_size], generator=generator)
                     for start in range(0, len(x), batch_size)]
    except GenerateError as exc:
        raise EvalError(str(exc)) from exc
    n_pred = [len(p.truth) for p in parts]

    def mean_psnr(video_of) -> float:
        return float(torch.cat([p.psnr_of_predicted_frames(video_of(p)) for p in parts]).mean())

    def by_frame(video_of) -> list[float]:
        per_clip = torch.cat([p.psnr_by_frame(video_of(p)) for p in parts])
        return [round(float(v), 3) for v in per_clip.mean(0)]

    result = TransformerEvalResult(
        checkpoint=str(checkpoint), data=str(data), step=predictor.step, clips=len(x), task=cfg.task,
        condition_frames=cfg.condition_frames, predicted_video_frames=int(parts[0].predicted_frames.sum()),
        decode_steps=cfg.decode_steps, temperature=cfg.temperature,
        masked_token_accuracy=accuracy, masked_token_loss=loss,
        prediction_token_accuracy=sum(p.token_accuracy * n for p, n in zip(parts, n_pred)) / sum(n_pred),
        psnr=mean_psnr(lambda p: p.predicted), baseline_psnr=mean_psnr(lambda p: p.baseline),
        reconstruction_psnr=mean_psnr(lambda p: p.reconstruction),
        frame_psnr=by_frame(lambda p: p.predicted), frame_baseline_psnr=by_frame(lambda p: p.baseline),
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
        f"MaskGIT decoding ({result.decode_steps} steps, temperature {result.temperature:g}): "
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
    ])  # fmt: skip
