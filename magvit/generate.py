"""Frame prediction with a trained transformer: load it, complete clips, write GIFs and PNG strips.

A transformer checkpoint names its tokenizer (`tokenizer_checkpoint`, with its sha256); both
are read with weights_only=True. `predict` tokenizes the condition clip (the given frames,
with the unknown ones replaced by the nearest given frame, as in training), decodes the
unknown tokens MaskGIT-style and decodes the completed grid back to video. `object_report`
scores the prediction and its references (copy-last-frame, constant velocity, the tokenizer's
reconstruction) on the disk (`magvit.objects`). `generate` does that for held-out clips of a
data set (the split `magvit eval` uses) and writes the pictures, a chart by horizon and a JSON
summary.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from magvit import objects as object_metrics
from magvit.atomic import atomic_write_text
from magvit.config import RunConfig
from magvit.errors import ConfigError, EvalError, TrainError
from magvit.loading import load_held_out, read_checkpoint
from magvit.maskgit import decode, given_positions
from magvit.metrics import psnr
from magvit.models.transformer import MaskedTokenTransformer, TransformerConfig
from magvit.stages.transformer import FrozenTokenizer, condition_clip, load_frozen_tokenizer

SUMMARY_NAME = "generate.json"
CHART_NAME = "horizons.png"


class GenerateError(Exception):
    """The checkpoint, its tokenizer or the data cannot be used; the message says which and why."""


@dataclass(frozen=True)
class FramePredictor:
    """A trained transformer (eval mode) and its frozen tokenizer."""

    model: MaskedTokenTransformer
    tokenizer: FrozenTokenizer
    config: TransformerConfig
    run_config: dict[str, Any]
    """The run's config as stored in the checkpoint (its train.seed and val_fraction give the held-out split)."""
    checkpoint: str
    step: int | None

    def given(self, condition_frames: int | None = None) -> torch.Tensor:
        """Bool (t, h, w) of the given tokens: the trained task with `condition_frames` (default: the trained number)."""
        cfg = self.config
        try:
            return given_positions(self.model.grid, cfg.task, condition_frames or cfg.condition_frames)
        except ValueError as exc:
            raise GenerateError(f"condition frames {condition_frames}: {exc}") from exc


@dataclass(frozen=True)
class Prediction:
    """Clips completed from their first latent frames, next to what to compare them with."""

    truth: torch.Tensor
    """The clips (B, C, T, H, W)."""
    predicted: torch.Tensor
    """Decoded from the given tokens and the MaskGIT-decoded rest, clamped to [0, 1]."""
    baseline: torch.Tensor
    """Each unknown frame replaced by the nearest given frame (prediction: copy-last-frame)."""
    reconstruction: torch.Tensor
    """The tokenizer's reconstruction of the true clip: what perfect token prediction would give."""
    predicted_frames: torch.Tensor
    """Bool (T,): the video frames that were predicted (the ones the metrics are taken on)."""
    token_accuracy: float
    """Share of decoded unknown tokens equal to the true clip's tokens."""

    def psnr_of_predicted_frames(self, video: torch.Tensor) -> torch.Tensor:
        """Per-clip PSNR (dB) of `video` against the truth on the predicted frames only."""
        frames = self.predicted_frames
        return psnr(video[:, :, frames], self.truth[:, :, frames], reduction="none")

    def psnr_by_frame(self, video: torch.Tensor) -> torch.Tensor:
        """(clips, predicted frames): PSNR (dB) of each predicted frame of `video` against the truth."""
        frames = torch.nonzero(self.predicted_frames)[:, 0].tolist()
        return torch.stack([psnr(video[:, :, f], self.truth[:, :, f], reduction="none") for f in frames], dim=1)


def concat_predictions(parts: list[Prediction]) -> Prediction:
    """One Prediction of the clips of `parts` (predicted in batches with the same settings)."""
    clips = [len(p.truth) for p in parts]
    return Prediction(
        truth=torch.cat([p.truth for p in parts]), predicted=torch.cat([p.predicted for p in parts]),
        baseline=torch.cat([p.baseline for p in parts]), reconstruction=torch.cat([p.reconstruction for p in parts]),
        predicted_frames=parts[0].predicted_frames,
        token_accuracy=sum(p.token_accuracy * n for p, n in zip(parts, clips)) / sum(clips),
    )  # fmt: skip


def object_report(prediction: Prediction, clips) -> object_metrics.ObjectReport | None:
    """The disk in the predicted frames of the prediction, copy-last-frame, constant-velocity
    extrapolation and the tokenizer's reconstruction; None when the data set stores no positions.
    `clips` is the `magvit.loading.HeldOut` the prediction was made from (its first clips)."""
    if clips.positions is None:
        return None
    n = len(prediction.truth)
    positions, frames = clips.positions[:n], prediction.predicted_frames
    try:
        velocity = object_metrics.constant_velocity(prediction.truth, positions, frames)
    except ValueError:  # fewer than two given frames before a predicted one: no velocity to extrapolate
        velocity = None
    videos = {"prediction": prediction.predicted, "copy_last_frame": prediction.baseline,
              **({"constant_velocity": velocity} if velocity is not None else {}),
              "reconstruction": prediction.reconstruction}
    return object_metrics.score(prediction.truth, videos, positions, frames, clips.labels[:n], clips.label_names)


def load_predictor(checkpoint: str | os.PathLike, tokenizer: str | os.PathLike | None = None) -> FramePredictor:
    """The transformer of a transformer checkpoint and its tokenizer (`tokenizer` overrides the recorded path)."""
    path = Path(checkpoint)
    saved = read_checkpoint(path, GenerateError)
    if not isinstance(saved, dict) or saved.get("stage") != "transformer":
        stage = saved.get("stage") if isinstance(saved, dict) else None
        raise GenerateError(f"{path}: not a transformer checkpoint (stage {stage!r}); "
                            "train one with `magvit train --stage transformer --tokenizer CKPT`")
    try:
        run_config = RunConfig.from_dict(saved["config"], source=f"{path} (its config)")
        cfg = run_config.transformer
        try:
            frozen = load_frozen_tokenizer(tokenizer or saved["tokenizer_checkpoint"], saved["tokenizer_sha256"])
        except TrainError as exc:
            raise GenerateError(f"{path}: {exc} (a tokenizer that moved: pass --tokenizer PATH)") from exc
        grid = frozen.grid(*cfg.clip_shape)
        model = MaskedTokenTransformer(cfg, frozen.vocab_size, grid)
        model.load_state_dict(saved["model"])
    except (ConfigError, TrainError, KeyError, ValueError, RuntimeError) as exc:
        raise GenerateError(f"{path}: {exc}") from exc
    return FramePredictor(model=model.eval(), tokenizer=frozen, config=cfg, run_config=saved["config"],
                          checkpoint=str(path), step=saved.get("step"))


@torch.no_grad()
def predict(predictor: FramePredictor, x: torch.Tensor, condition_frames: int | None = None,
            steps: int | None = None, temperature: float | None = None,
            generator: torch.Generator | None = None) -> Prediction:
    """Complete clips `x` from their given latent frames (defaults: the trained task's and decoding settings)."""
    cfg, tokenizer = predictor.config, predictor.tokenizer
    if tuple(x.shape[2:]) != tuple(cfg.clip_shape):
        raise GenerateError(f"clips are {tuple(x.shape[2:])} (frames, height, width); the transformer was trained "
                            f"on {tuple(cfg.clip_shape)}")
    given = predictor.given(condition_frames)
    given_frames = given[:, 0, 0]
    baseline = condition_clip(x, given_frames, tokenizer.temporal_factor)
    truth_tokens = tokenizer.encode(x)
    settings = {"steps": steps or cfg.decode_steps, "generator": generator,
                "temperature": cfg.temperature if temperature is None else temperature,
                "choice_temperature": cfg.choice_temperature}
    tokens = tokenizer.encode(baseline)
    if cfg.decode_order == "frames":  # one latent frame at a time, the later ones held masked
        known = given.clone()
        for frame in (~given_frames).nonzero()[:, 0].tolist():
            later = torch.zeros_like(given)
            later[frame + 1:] = ~known[frame + 1:]
            tokens = decode(predictor.model, tokens, known, predictor.model.mask_id, hold=later, **settings).tokens
            known[frame] = True
        decoded_tokens = tokens
    else:
        decoded_tokens = decode(predictor.model, tokens, given, predictor.model.mask_id, **settings).tokens
    unknown = ~given.expand_as(truth_tokens)
    return Prediction(
        truth=x,
        predicted=tokenizer.decode(decoded_tokens).clamp(0, 1),
        baseline=baseline,
        reconstruction=tokenizer.decode(truth_tokens).clamp(0, 1),
        predicted_frames=~given_frames.repeat_interleave(tokenizer.temporal_factor),
        token_accuracy=float((decoded_tokens[unknown] == truth_tokens[unknown]).double().mean()),
    )


def with_decoding(predictor: FramePredictor, choice_temperature: float | None = None,
                  decode_order: str | None = None) -> FramePredictor:
    """The predictor with other decoding settings (None keeps the trained config's)."""
    changes = {k: v for k, v in (("choice_temperature", choice_temperature), ("decode_order", decode_order))
               if v is not None}
    if not changes:
        return predictor
    try:
        return dataclasses.replace(predictor, config=dataclasses.replace(predictor.config, **changes))
    except ConfigError as exc:
        raise GenerateError(str(exc)) from exc


def held_out_clips(predictor: FramePredictor, data: str | os.PathLike):
    """The held-out clips of `data` for the run's seed and val_fraction (the ones `magvit eval` uses),
    as a `magvit.loading.HeldOut` (clips, positions, labels)."""
    try:
        return load_held_out(data, predictor.run_config)
    except EvalError as exc:
        raise GenerateError(f"{data}: {exc}") from exc


@dataclass(frozen=True)
class GenerateSummary:
    """What `magvit generate` wrote and how close the predictions came."""

    checkpoint: str
    data: str
    clips: int
    condition_frames: int
    """Latent frames given."""
    predicted_video_frames: int
    steps: int
    temperature: float
    choice_temperature: float
    decode_order: str
    psnr: float
    """Mean PSNR (dB) of the predicted frames."""
    baseline_psnr: float
    """Mean PSNR of the copy-last-frame baseline on the same frames."""
    reconstruction_psnr: float
    """Mean PSNR of the tokenizer's reconstruction on the same frames (the ceiling for perfect tokens)."""
    per_clip_psnr: list[float]
    per_clip_baseline_psnr: list[float]
    files: list[str]
    objects: object_metrics.ObjectReport | None = None
    """The disk in the predicted frames of these clips, against the references (None without positions)."""
    chart: str | None = None
    """The PNG chart of the object scores by horizon."""

    def to_dict(self) -> dict[str, Any]:
        values = {k: v for k, v in asdict(self).items() if k != "objects"}
        return {**values, "objects": self.objects.to_dict() if self.objects is not None else None}


def generate(checkpoint: str | os.PathLike, data: str | os.PathLike, out_dir: str | os.PathLike, n: int = 8,
             condition_frames: int | None = None, steps: int | None = None, temperature: float | None = None,
             seed: int = 0, tokenizer: str | os.PathLike | None = None, choice_temperature: float | None = None,
             decode_order: str | None = None) -> GenerateSummary:
    """Predict the rest of the first `n` held-out clips; write per clip a GIF and a PNG strip, and generate.json.
    `choice_temperature` and `decode_order` override the checkpoint's decoding settings."""
    predictor = with_decoding(load_predictor(checkpoint, tokenizer), choice_temperature, decode_order)
    held_out = held_out_clips(predictor, data)
    x = held_out.x[:n]
    cfg = predictor.config
    condition_frames = condition_frames or cfg.condition_frames
    steps = steps or cfg.decode_steps
    temperature = cfg.temperature if temperature is None else temperature
    result = predict(predictor, x, condition_frames, steps, temperature, torch.Generator().manual_seed(seed))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(len(x)):
        clips = (result.truth[i], result.predicted[i], result.baseline[i])
        files.append(str(write_gif(clips, result.predicted_frames, out / f"clip-{i:03d}.gif")))
        files.append(str(write_strip(clips, result.predicted_frames, out / f"clip-{i:03d}.png")))
    pred, base = result.psnr_of_predicted_frames(result.predicted), result.psnr_of_predicted_frames(result.baseline)
    report = object_report(result, held_out)
    chart = None
    if report is not None:
        from magvit.charts import horizon_chart

        chart = str(horizon_chart(report, out / CHART_NAME, title=f"{len(x)} held-out clips, {steps} decoding "
                                  f"steps, temperature {float(temperature):g}"))
    summary = GenerateSummary(
        checkpoint=str(checkpoint), data=str(data), clips=len(x), condition_frames=condition_frames,
        predicted_video_frames=int(result.predicted_frames.sum()), steps=steps, temperature=float(temperature),
        choice_temperature=float(predictor.config.choice_temperature), decode_order=predictor.config.decode_order,
        psnr=float(pred.mean()), baseline_psnr=float(base.mean()),
        reconstruction_psnr=float(result.psnr_of_predicted_frames(result.reconstruction).mean()),
        per_clip_psnr=[round(float(v), 3) for v in pred], per_clip_baseline_psnr=[round(float(v), 3) for v in base],
        files=files, objects=report, chart=chart,
    )  # fmt: skip
    atomic_write_text(out / SUMMARY_NAME, json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


# ----------------------------------------------------------------------------- pictures

_GAP = 2
_PREDICTED_MARK = np.array([0.9, 0.2, 0.2], dtype=np.float32)
"""Colour of the bar under predicted frames (given frames get a grey one)."""


def _frame(clip: torch.Tensor, f: int) -> np.ndarray:
    return clip[:, f].permute(1, 2, 0).clamp(0, 1).numpy().astype(np.float32)


def _to_image(array: np.ndarray, scale: int):
    from PIL import Image

    img = np.rint(np.clip(array, 0, 1) * 255).astype(np.uint8)
    if img.shape[-1] == 1:
        img = img[..., 0]
    image = Image.fromarray(img)
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def _with_mark(frame: np.ndarray, predicted: bool) -> np.ndarray:
    """The frame over a 2-pixel bar: red under a predicted frame, grey under a given one."""
    c = frame.shape[-1]
    colour = _PREDICTED_MARK[:c] if predicted else np.full(c, 0.5, dtype=np.float32)
    bar = np.broadcast_to(colour, (2, frame.shape[1], c))
    return np.concatenate([frame, bar], axis=0)


def write_gif(clips: tuple[torch.Tensor, ...], predicted_frames: torch.Tensor, path: Path,
              scale: int = 4, ms_per_frame: int = 200) -> Path:
    """Animated GIF: the clips (truth, prediction, baseline) side by side, frame by frame."""
    images = []
    for f in range(clips[0].shape[1]):
        panels = [_with_mark(_frame(clip, f), bool(predicted_frames[f])) for clip in clips]
        gap = np.ones((panels[0].shape[0], _GAP, panels[0].shape[2]), dtype=np.float32)
        row = [panels[0]]
        for panel in panels[1:]:
            row += [gap, panel]
        images.append(_to_image(np.concatenate(row, axis=1), scale))
    images[0].save(path, save_all=True, append_images=images[1:], duration=ms_per_frame, loop=0)
    return path


def write_strip(clips: tuple[torch.Tensor, ...], predicted_frames: torch.Tensor, path: Path, scale: int = 3) -> Path:
    """PNG: one row of frames per clip (truth, prediction, baseline), every frame, predicted ones marked red."""
    rows = []
    for clip in clips:
        frames = [_with_mark(_frame(clip, f), bool(predicted_frames[f])) for f in range(clip.shape[1])]
        h, _, c = frames[0].shape
        row = []
        for frame in frames:
            row += [frame, np.ones((h, _GAP, c), dtype=np.float32)]
        rows += [np.concatenate(row[:-1], axis=1), np.ones((_GAP, sum(r.shape[1] for r in row[:-1]), c), np.float32)]
    _to_image(np.concatenate(rows[:-1], axis=0), scale).save(path)
    return path


def format_summary(summary: GenerateSummary) -> str:
    """The lines `magvit generate` prints."""
    return "\n".join([
        f"{summary.clips} held-out clips, {summary.condition_frames} latent frame(s) given, "
        f"{summary.predicted_video_frames} video frames predicted in {summary.steps} steps "
        f"(temperature {summary.temperature:g}, choice temperature {summary.choice_temperature:g}, "
        f"order {summary.decode_order})",
        f"{'':<28}{'PSNR (dB)':>10}",
        f"{'prediction':<28}{summary.psnr:>10.2f}",
        f"{'copy-last-frame baseline':<28}{summary.baseline_psnr:>10.2f}",
        f"{'tokenizer reconstruction':<28}{summary.reconstruction_psnr:>10.2f}",
        *([object_metrics.format_report(summary.objects)] if summary.objects is not None else []),
        f"wrote {len(summary.files)} files, {SUMMARY_NAME}" + (f" and {CHART_NAME}" if summary.chart else ""),
    ])  # fmt: skip
