"""Object-aware metrics of predicted and reconstructed clips: where the disk is, whether it is
still there, and its colour, against the per-frame positions the data set stores.

PSNR rewards a dark frame over a disk in the wrong place (a copy is wrong twice, an erased disk
once), so it cannot tell a prediction that keeps the object from one that erases it. These
metrics can. Every video (prediction, baselines, reconstruction) is measured the same way, from
its pixels:

- foreground weight of a pixel: its largest channel difference from the clip's background
  colour (the median of the given frames), counted when above `FOREGROUND_FLOOR`;
- centroid: the weight-weighted mean pixel centre, `(j + 0.5, i + 0.5)` for row i, column j,
  as the data set stores positions; a frame with no foreground at all gets the frame's centre;
- mass: the sum of the weights; the disk is *visible* when the mass is at least
  `VISIBLE_SHARE` of the true frame's (an erased, faded or half-dissolved disk is not);
- colour: the mean colour of the core pixels (weight at least `CORE_SHARE` of the frame's
  largest), so that anti-aliased edges and blur do not dilute it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch
from torch.nn import functional as F

from magvit.metrics import psnr, ssim

FOREGROUND_FLOOR = 0.1
"""A pixel within this of the background (largest channel difference, [0, 1] units) is background."""
VISIBLE_SHARE = 0.5
"""The disk counts as visible in a frame when its mass is at least this share of the true frame's."""
CORE_SHARE = 0.9
"""The disk's colour is read from pixels whose weight is at least this share of the frame's largest."""


@dataclass(frozen=True)
class ObjectTrack:
    """What `track` measures in every frame of every clip."""

    centroid: torch.Tensor
    """(B, T, 2) float: (x, y) in pixels."""
    mass: torch.Tensor
    """(B, T): summed foreground weight."""
    colour: torch.Tensor
    """(B, T, C) in [0, 1]: mean colour of the core pixels (the background colour when there is no foreground)."""


def background_of(x: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
    """(B, C): each clip's background colour, the per-channel median over the pixels of `frames`
    (bool (T,), default all; pass the given frames so that no unknown frame is read)."""
    if frames is not None:
        x = x[:, :, frames]
    return x.flatten(2).median(dim=2).values


def track(video: torch.Tensor, background: torch.Tensor) -> ObjectTrack:
    """Centroid, mass and colour of the object in each frame of clips `video` (B, C, T, H, W)."""
    b, c, t, h, w = video.shape
    video = video.float()
    weight = (video - background[:, :, None, None, None].float()).abs().amax(dim=1)  # (B, T, H, W)
    weight = torch.where(weight > FOREGROUND_FLOOR, weight, torch.zeros_like(weight))
    mass = weight.sum(dim=(-2, -1))
    ys = torch.arange(h, dtype=torch.float32) + 0.5
    xs = torch.arange(w, dtype=torch.float32) + 0.5
    safe = mass.clamp_min(1e-12)
    cx = (weight * xs).sum(dim=(-2, -1)) / safe
    cy = (weight * ys[:, None]).sum(dim=(-2, -1)) / safe
    empty = mass <= 0
    cx = torch.where(empty, torch.full_like(cx, w / 2), cx)
    cy = torch.where(empty, torch.full_like(cy, h / 2), cy)
    core = (weight >= CORE_SHARE * weight.amax(dim=(-2, -1), keepdim=True)) & (weight > 0)  # (B, T, H, W)
    n_core = core.sum(dim=(-2, -1)).clamp_min(1)  # (B, T)
    colour = (video * core[:, None]).sum(dim=(-2, -1)) / n_core[:, None]  # (B, C, T)
    colour = torch.where(empty[:, None], background[:, :, None].float().expand_as(colour), colour)
    return ObjectTrack(centroid=torch.stack([cx, cy], dim=-1), mass=mass, colour=colour.permute(0, 2, 1))


def constant_velocity(x: torch.Tensor, positions: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    """The constant-velocity baseline: every predicted frame is the last given frame before it with
    the disk moved along the velocity of the last two given frames (their stored positions).

    The extrapolated centre stops about a disk radius from the frame's edge (the disk never
    leaves the frame, and the baseline may know that as well as a model can). Needs two given
    frames before the first predicted one; clips (B, C, T, H, W), positions (B, T, 2), predicted bool (T,).
    """
    b, c, t, h, w = x.shape
    given = (~predicted).nonzero()[:, 0].tolist()
    out = x.clone()
    background = background_of(x, ~predicted)[:, :, None, None]
    for f in predicted.nonzero()[:, 0].tolist():
        earlier = [g for g in given if g < f]
        if len(earlier) < 2:
            raise ValueError(f"frame {f}: constant velocity needs two given frames before it, got {len(earlier)}")
        anchor, before = earlier[-1], earlier[-2]
        velocity = (positions[:, anchor] - positions[:, before]) / (anchor - before)
        frame = x[:, :, anchor]
        radius = _radius(frame, background[:, :, 0, 0])
        target = positions[:, anchor] + velocity * (f - anchor)
        low = radius[:, None].expand(b, 2)
        high = torch.tensor([w, h], dtype=torch.float32) - low
        target = torch.maximum(torch.minimum(target.float(), high), low)
        out[:, :, f] = background + _shift(frame - background, target - positions[:, anchor].float())
    return out


def _radius(frame: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """(B,): the disk's radius in pixels estimated from its foreground area in `frame` (B, C, H, W)."""
    weight = (frame - background[:, :, None, None]).abs().amax(dim=1)
    area = (weight > FOREGROUND_FLOOR).sum(dim=(-2, -1)).float()
    return (area / torch.pi).sqrt()


def _shift(frame: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """`frame` (B, C, H, W) moved by `offset` (B, 2) pixels (x, y), bilinearly, zeros coming in."""
    b, _, h, w = frame.shape
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -2 * offset[:, 0] / w
    theta[:, 1, 2] = -2 * offset[:, 1] / h
    grid = F.affine_grid(theta, list(frame.shape), align_corners=False)
    return F.grid_sample(frame.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class ReferenceScores:
    """How one video (a prediction, a baseline, a reconstruction) fares on the scored frames."""

    centroid_error: tuple[float, ...]
    """Per scored frame in time order (the horizon): mean distance (pixels) of its centroid from the true position."""
    visible: tuple[float, ...]
    """Per scored frame: share of clips in which the disk is visible."""
    psnr: tuple[float, ...]
    """Per scored frame: mean PSNR (dB)."""
    ssim: float
    """Mean per-clip SSIM over the scored frames."""
    colour_error: tuple[float, ...]
    """Per channel (R, G, B): mean absolute error of the disk's colour, 0-255 units, over clips and scored frames."""
    colour_bias: tuple[float, ...]
    """Per channel: mean signed error of the disk's colour (a white disk coming back pink has G and B below 0)."""

    @property
    def mean_centroid_error(self) -> float:
        return sum(self.centroid_error) / len(self.centroid_error)

    @property
    def visible_share(self) -> float:
        return sum(self.visible) / len(self.visible)

    @property
    def mean_psnr(self) -> float:
        return sum(self.psnr) / len(self.psnr)

    @property
    def mean_colour_error(self) -> float:
        return sum(self.colour_error) / len(self.colour_error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "centroid_error": list(self.centroid_error), "visible": list(self.visible), "psnr": list(self.psnr),
            "ssim": self.ssim, "colour_error": list(self.colour_error), "colour_bias": list(self.colour_bias),
            "mean_centroid_error": self.mean_centroid_error, "visible_share": self.visible_share,
            "mean_psnr": self.mean_psnr, "mean_colour_error": self.mean_colour_error,
        }  # fmt: skip


@dataclass(frozen=True)
class ObjectReport:
    """Object-aware scores of several videos of the same clips on the same scored frames."""

    clips: int
    horizons: int
    """Scored frames per clip (the predicted ones; every frame for a reconstruction)."""
    references: Mapping[str, ReferenceScores]
    by_kind: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Trajectory kind -> reference -> mean centroid error over its clips' scored frames."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "clips": self.clips, "horizons": self.horizons,
            "thresholds": {"foreground_floor": FOREGROUND_FLOOR, "visible_share": VISIBLE_SHARE,
                           "core_share": CORE_SHARE},
            "references": {name: scores.to_dict() for name, scores in self.references.items()},
            "by_kind": {kind: dict(errors) for kind, errors in self.by_kind.items()},
        }  # fmt: skip


def _round(values: torch.Tensor, digits: int = 4) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values)


def score(truth: torch.Tensor, videos: Mapping[str, torch.Tensor], positions: torch.Tensor, scored: torch.Tensor,
          labels: torch.Tensor | None = None, label_names: Sequence[str] | None = None) -> ObjectReport:
    """Score each of `videos` (name -> clips like `truth`, (B, C, T, H, W)) on the frames `scored`
    (bool (T,)) against the true positions (B, T, 2). The background comes from the truth's
    unscored frames (all frames when every frame is scored)."""
    frames = scored.nonzero()[:, 0]
    background = background_of(truth, ~scored if bool((~scored).any()) else None)
    true_track = track(truth[:, :, frames], background)
    true_positions = positions[:, frames].float()
    references, errors = {}, {}
    for name, video in videos.items():
        part = video[:, :, frames].clamp(0, 1)
        seen = track(part, background)
        error = (seen.centroid - true_positions).norm(dim=-1)  # (B, horizons)
        errors[name] = error
        visible = seen.mass >= VISIBLE_SHARE * true_track.mass
        colour = (seen.colour - true_track.colour) * 255  # (B, horizons, C)
        frame_psnr = torch.stack([psnr(part[:, :, k], truth[:, :, f], reduction="none")
                                  for k, f in enumerate(frames.tolist())], dim=1)
        references[name] = ReferenceScores(
            centroid_error=_round(error.mean(0)), visible=_round(visible.double().mean(0)),
            psnr=_round(frame_psnr.mean(0), 3), ssim=round(float(ssim(part, truth[:, :, frames])), 4),
            colour_error=_round(colour.abs().mean(dim=(0, 1)), 2), colour_bias=_round(colour.mean(dim=(0, 1)), 2),
        )  # fmt: skip
    by_kind: dict[str, dict[str, float]] = {}
    if labels is not None and label_names is not None:
        for k, kind in enumerate(label_names):
            chosen = labels == k
            if bool(chosen.any()):
                by_kind[str(kind)] = {name: round(float(e[chosen].mean()), 4) for name, e in errors.items()}
    return ObjectReport(clips=len(truth), horizons=len(frames), references=references, by_kind=by_kind)


REFERENCE_LABELS = {
    "prediction": "prediction",
    "copy_last_frame": "copy-last-frame",
    "constant_velocity": "constant velocity",
    "reconstruction": "tokenizer reconstruction",
}


def format_report(report: ObjectReport) -> str:
    """The object-aware table `magvit eval` and `magvit generate` print: means, then centroid error
    and visibility by horizon, then by trajectory kind."""
    label = {name: REFERENCE_LABELS.get(name, name) for name in report.references}
    lines = [
        f"the disk in the {report.horizons} predicted frames of {report.clips} clips:",
        f"{'':<28}{'centroid px':>12}{'visible':>9}{'colour err R G B (0-255)':>27}{'PSNR':>7}{'SSIM':>7}",
    ]
    for name, s in report.references.items():
        colour = " ".join(f"{v:5.1f}" for v in s.colour_error)
        lines.append(f"  {label[name]:<26}{s.mean_centroid_error:>12.2f}{s.visible_share:>9.1%}{colour:>27}"
                     f"{s.mean_psnr:>7.2f}{s.ssim:>7.3f}")
    lines.append("centroid error (px) by frame after the given ones:")
    lines.append(f"{'  frame':<28}" + "".join(f"{k:>6}" for k in range(1, report.horizons + 1)))
    for name, s in report.references.items():
        lines.append(f"  {label[name]:<26}" + "".join(f"{v:>6.1f}" for v in s.centroid_error))
    lines.append("disk visible (share of clips) by frame:")
    for name, s in report.references.items():
        lines.append(f"  {label[name]:<26}" + "".join(f"{v:>6.2f}" for v in s.visible))
    if report.by_kind:
        names = list(report.references)
        lines.append("mean centroid error (px) by trajectory kind:")
        lines.append(f"{'':<28}" + "".join(f"{label[n][:12]:>14}" for n in names))
        for kind, errors in report.by_kind.items():
            lines.append(f"  {kind:<26}" + "".join(f"{errors[n]:>14.2f}" for n in names))
    return "\n".join(lines)
