"""Object-aware metrics: where the disk is, whether it is still there, its colour, and the
constant-velocity baseline, measured on clips rendered by the data generator itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from magvit import data as dataset
from magvit import objects


def rendered(n: int = 8, frames: int = 16, size: int = 32, seed: int = 0):
    """(clips (B, C, T, H, W) in [0, 1], true positions (B, T, 2), labels, label names) from the generator."""
    clips = dataset.generate(n=n, frames=frames, size=size, seed=seed)
    x = torch.from_numpy(clips.videos.transpose(0, 4, 1, 2, 3).copy()).float() / 255
    return x, torch.from_numpy(clips.positions.copy()), torch.from_numpy(clips.labels), list(clips.label_names)


def disk_clip(centres: np.ndarray, colour=(0.95, 0.95, 0.95), radius: float = 4.0, size: int = 32) -> torch.Tensor:
    """One clip (1, 3, T, size, size) of a disk at `centres` (T, 2) drawn by the data generator's renderer."""
    video = dataset._render(centres[None].astype(np.float64), np.array([radius]), np.array([colour]),
                            np.full((1, 3), dataset.BACKGROUND), size)
    return torch.from_numpy(video.transpose(0, 4, 1, 2, 3).copy()).float() / 255


def test_track_finds_the_stored_positions_of_rendered_clips():
    x, positions, _, _ = rendered()
    track = objects.track(x, objects.background_of(x))
    error = (track.centroid - positions).norm(dim=-1)
    assert float(error.max()) < 0.2  # anti-aliased edges, rounding to 8 bits
    assert bool((track.mass > 0).all())


def test_track_reads_the_disk_colour():
    x = disk_clip(np.array([[16.0, 16.0]] * 4), colour=(0.30, 0.90, 0.30))
    colour = objects.track(x, objects.background_of(x)).colour[0]
    assert torch.allclose(colour, torch.tensor([0.30, 0.90, 0.30]).expand(4, 3), atol=2 / 255)


def test_a_moved_disk_has_the_distance_as_centroid_error():
    truth_centres = np.array([[10.0, 12.0]] * 4)
    truth = disk_clip(truth_centres)
    moved = disk_clip(truth_centres + np.array([3.0, 4.0]))
    frames = torch.ones(4, dtype=torch.bool)
    report = objects.score(truth, {"moved": moved}, torch.from_numpy(truth_centres[None]).float(), frames)
    assert report.references["moved"].centroid_error == pytest.approx((5.0,) * 4, abs=0.2)
    assert report.references["moved"].visible == (1.0,) * 4


def test_an_erased_or_faded_disk_is_not_visible():
    centres = np.array([[16.0, 16.0]] * 4)
    truth = disk_clip(centres)
    background = torch.full_like(truth, dataset.BACKGROUND)
    faded = background + 0.3 * (truth - background)  # a ghost at a third of the contrast
    half = truth.clone()
    half[:, :, 2:] = background[:, :, 2:]  # the disk vanishes after two frames
    report = objects.score(truth, {"erased": background, "faded": faded, "half": half},
                           torch.from_numpy(centres[None]).float(), torch.ones(4, dtype=torch.bool))
    assert report.references["erased"].visible == (0.0,) * 4
    assert report.references["faded"].visible == (0.0,) * 4
    assert report.references["half"].visible == (1.0, 1.0, 0.0, 0.0)
    assert report.references["half"].visible_share == 0.5


def test_colour_error_is_per_channel_and_signed_bias_shows_the_drift():
    centres = np.array([[16.0, 16.0]] * 4)
    white = disk_clip(centres, colour=(0.95, 0.95, 0.95))
    pink = disk_clip(centres, colour=(0.95, 0.55, 0.75))
    report = objects.score(white, {"pink": pink}, torch.from_numpy(centres[None]).float(),
                           torch.ones(4, dtype=torch.bool))
    scores = report.references["pink"]
    assert scores.colour_error == pytest.approx((0.0, 0.40 * 255, 0.20 * 255), abs=2.0)
    assert scores.colour_bias == pytest.approx((0.0, -0.40 * 255, -0.20 * 255), abs=2.0)


def test_constant_velocity_follows_a_straight_path_and_copying_falls_behind():
    centres = np.stack([np.linspace(6.0, 24.0, 16), np.linspace(8.0, 20.0, 16)], axis=-1)
    truth = disk_clip(centres)
    positions = torch.from_numpy(centres[None]).float()
    predicted = torch.arange(16) >= 4
    cv = objects.constant_velocity(truth, positions, predicted)
    copy = truth[:, :, [0, 1, 2, 3] + [3] * 12]
    report = objects.score(truth, {"constant_velocity": cv, "copy_last_frame": copy}, positions, predicted)
    assert report.horizons == 12
    assert max(report.references["constant_velocity"].centroid_error) < 0.3
    copy_error = report.references["copy_last_frame"].centroid_error
    step = float(np.hypot(18 / 15, 12 / 15))
    assert copy_error == pytest.approx(tuple(step * k for k in range(1, 13)), abs=0.3)


def test_constant_velocity_keeps_the_disk_inside_the_frame():
    centres = np.stack([np.linspace(10.0, 38.0, 8), np.full(8, 16.0)], axis=-1)  # 4 px a frame towards the edge
    truth = disk_clip(np.concatenate([centres[:4], centres[3:4].repeat(4, axis=0)]))
    positions = torch.from_numpy(centres[None]).float()
    predicted = torch.arange(8) >= 4
    cv = objects.constant_velocity(truth, positions, predicted)
    track = objects.track(cv, objects.background_of(truth))
    assert float(track.centroid[0, 4:, 0].max()) <= 32 - 3.5  # the centre stops about a radius from the edge
    assert bool((track.mass[0, 4:] > 0.8 * track.mass[0, 3]).all())  # the whole disk is still in view


def test_report_breaks_the_error_down_by_kind_and_serialises():
    x, positions, labels, names = rendered(n=8)
    predicted = torch.arange(16) >= 4
    copy = x[:, :, [0, 1, 2, 3] + [3] * 12]
    report = objects.score(x, {"truth": x, "copy_last_frame": copy}, positions, predicted,
                           labels=labels, label_names=names)
    assert report.clips == 8 and report.horizons == 12
    assert report.references["truth"].mean_centroid_error < 0.2
    assert set(report.by_kind) == set(names)
    assert report.by_kind["linear"]["copy_last_frame"] > 0.5
    as_dict = report.to_dict()
    assert as_dict["references"]["copy_last_frame"]["mean_centroid_error"] == pytest.approx(
        report.references["copy_last_frame"].mean_centroid_error)
    assert len(as_dict["references"]["truth"]["centroid_error"]) == 12


def test_chart_draws_every_reference_per_horizon(tmp_path):
    from PIL import Image

    from magvit import charts

    x, positions, _, _ = rendered(n=4)
    predicted = torch.arange(16) >= 4
    copy = x[:, :, [0, 1, 2, 3] + [3] * 12]
    report = objects.score(x, {"prediction": x, "copy_last_frame": copy}, positions, predicted)
    path = charts.horizon_chart(report, tmp_path / "horizons.png", title="test")
    with Image.open(path) as image:
        assert image.width >= 600 and image.height >= 300
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 10  # lines, text and axes, not a blank canvas
