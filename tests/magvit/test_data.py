"""Synthetic trajectory data: generation, determinism, validation (one test per check), split, loading, CLI."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from magvit import data
from magvit.cli import main


def _arrays(path):
    return dict(data.read_arrays(path))


def _save_arrays(path, arrays):
    data._write_npz(path, arrays)
    return path


# ----------------------------------------------------------------------------- generation


def test_same_arguments_give_byte_identical_files(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    data.make_dataset(a, n=40, frames=8, size=16, seed=7)
    time.sleep(1.1)  # a zip timestamp taken from the clock would now differ
    data.make_dataset(b, n=40, frames=8, size=16, seed=7)
    assert a.read_bytes() == b.read_bytes()


def test_different_seed_gives_different_clips(tmp_path):
    a = data.generate(n=8, frames=4, size=16, seed=0)
    b = data.generate(n=8, frames=4, size=16, seed=1)
    assert not np.array_equal(a.videos, b.videos)


def test_layout_dtypes_labels_and_meta(tmp_path):
    path = data.make_dataset(tmp_path / "d.npz", n=20, frames=6, size=24, seed=0)
    arrays = _arrays(path)
    assert arrays["videos"].shape == (20, 6, 24, 24, 3) and arrays["videos"].dtype == np.uint8
    assert arrays["labels"].dtype == np.int64 and arrays["labels"].shape == (20,)
    assert arrays["positions"].dtype == np.float32 and arrays["positions"].shape == (20, 6, 2)
    assert list(arrays["label_names"]) == ["linear", "ballistic", "circular", "sinusoidal"]
    meta = json.loads(str(arrays["meta"]))
    assert meta["seed"] == 0 and meta["generator_version"] == data.GENERATOR_VERSION
    assert meta["args"] == {"n": 20, "frames": 6, "size": 24, "seed": 0}
    assert np.bincount(arrays["labels"]).tolist() == [5, 5, 5, 5]


def test_rendering_is_anti_aliased_and_follows_the_positions():
    clips = data.generate(n=8, frames=5, size=32, seed=2)
    v = clips.videos.astype(int)
    background = np.median(v.reshape(8, -1, 3), axis=1)
    for i in range(8):
        frame = v[i, 0]
        delta = np.abs(frame - background[i]).max(-1)
        peak = delta.max()
        partial = ((delta > 0.1 * peak) & (delta < 0.9 * peak)).sum()
        assert partial > 0, "the disk edge has intermediate values"
        ys, xs = np.nonzero(delta > 0.5 * peak)
        cx, cy = clips.positions[i, 0]
        assert abs(xs.mean() + 0.5 - cx) < 0.75 and abs(ys.mean() + 0.5 - cy) < 0.75


def test_colours_come_from_the_palette_on_a_shared_background():
    clips = data.generate(n=40, frames=2, size=32, seed=1)
    palette = np.rint(np.asarray(data.PALETTE) * 255)
    for video in clips.videos:
        frame = video[0].reshape(-1, 3).astype(float)
        centre = frame[np.abs(frame - data.BACKGROUND * 255).max(1).argmax()]  # a fully covered pixel
        assert np.abs(palette - centre).max(1).min() <= 1
        assert np.median(frame, axis=0).tolist() == [round(data.BACKGROUND * 255)] * 3
    assert json.loads(json.dumps(clips.meta))["palette"] == [list(c) for c in data.PALETTE]


def test_objects_move_and_stay_inside_the_frame():
    clips = data.generate(n=40, frames=16, size=32, seed=0)
    travel = np.abs(np.diff(clips.positions, axis=1)).sum(axis=(1, 2))
    assert (travel > 4).all()
    assert clips.positions.min() >= 0 and clips.positions.max() <= 32


def test_ballistic_clips_bounce():
    clips = data.generate(n=80, frames=16, size=32, seed=0)
    ball = clips.positions[clips.labels == 1]
    vy = np.diff(ball[:, :, 1], axis=1)
    bounced = ((vy[:, :-1] > 0) & (vy[:, 1:] < 0)).any(axis=1)
    assert bounced.mean() > 0.5


def test_generation_is_fast():
    start = time.perf_counter()
    data.generate(n=2000, frames=16, size=32, seed=0)
    per_minute = 2000 / (time.perf_counter() - start) * 60
    assert per_minute > 10_000


def test_generate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="frames"):
        data.generate(n=4, frames=1)


# ----------------------------------------------------------------------------- validation


def test_valid_file_passes_and_writes_validated_copy(small_dataset, tmp_path):
    src = tmp_path / "d.npz"
    src.write_bytes(small_dataset.read_bytes())
    result = data.validate(src)
    assert result.passed and result.written == tmp_path / "d_validated.npz"
    meta = json.loads(str(_arrays(result.written)["meta"]))
    assert meta["validated"]["source_sha256"] == data.fingerprint(src)
    np.testing.assert_array_equal(_arrays(result.written)["videos"], _arrays(src)["videos"])


@pytest.fixture
def good(small_dataset):
    return _arrays(small_dataset)


def _problems_of(tmp_path, arrays):
    result = data.validate(_save_arrays(tmp_path / "bad.npz", arrays))
    assert not result.passed and result.written is None
    assert not (tmp_path / "bad_validated.npz").exists()
    return result.problems


def test_validation_flags_shape(tmp_path, good):
    good["positions"] = good["positions"][:, :-1]
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("shape: positions") for p in problems)


def test_validation_flags_dtype(tmp_path, good):
    good["videos"] = good["videos"].astype(np.float32)
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("dtype: videos must be uint8") for p in problems)


def test_validation_flags_value_range(tmp_path, good):
    good["labels"] = good["labels"].copy()
    good["labels"][0] = 9
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("range: 1 labels outside [0, 4)") for p in problems)


def test_validation_flags_nan(tmp_path, good):
    good["positions"] = good["positions"].copy()
    good["positions"][2, 3, 0] = np.nan
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("nan: positions has 1") for p in problems)


def test_validation_flags_invisible_object(tmp_path, good):
    videos = good["videos"].copy()
    videos[5, 2] = np.median(videos[5].reshape(-1, 3), axis=0).astype(np.uint8)  # object erased in one frame
    good["videos"] = videos
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("visibility: no object visible in 1 frames (clip 5 frame 2)") for p in problems)


def test_validation_flags_label_imbalance(tmp_path, good):
    good["labels"] = np.where(good["labels"] == 3, 0, good["labels"])
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("balance:") and "sinusoidal=0" in p for p in problems)


def test_validation_flags_duplicate_clips(tmp_path, good):
    videos = good["videos"].copy()
    videos[7] = videos[1]
    good["videos"] = videos
    problems = _problems_of(tmp_path, good)
    assert any(p.startswith("duplicates: 1 clips repeat an earlier clip (1=7)") for p in problems)


def test_validation_flags_missing_array(tmp_path, good):
    del good["positions"]
    problems = _problems_of(tmp_path, good)
    assert "missing array 'positions'" in problems


def test_validation_lists_every_problem_not_just_the_first(tmp_path, good):
    videos = good["videos"].copy()
    videos[7] = videos[1]
    good["videos"] = videos
    good["labels"] = good["labels"].copy()
    good["labels"][0] = -1
    problems = _problems_of(tmp_path, good)
    assert {p.split(":")[0] for p in problems} >= {"range", "duplicates"}


def test_validation_missing_or_unreadable_file_raises(tmp_path):
    with pytest.raises(data.DataFileError, match="nope.npz"):
        data.validate(tmp_path / "nope.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(data.DataFileError, match="junk.npz"):
        data.validate(junk)


def test_validation_refuses_to_overwrite_without_force(small_dataset, tmp_path):
    src = tmp_path / "d.npz"
    src.write_bytes(small_dataset.read_bytes())
    out = data.validated_path(src)
    out.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        data.validate(src)
    assert out.read_bytes() == b"keep me"
    assert data.validate(src, force=True).written == out
    assert out.read_bytes() != b"keep me"


# ----------------------------------------------------------------------------- split and load


def test_split_is_deterministic_disjoint_and_complete():
    train, val = data.split_indices(200, 0.1, seed=0)
    again = data.split_indices(200, 0.1, seed=0)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])
    assert len(val) == 20 and len(train) == 180
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(200))
    assert not np.array_equal(val, data.split_indices(200, 0.1, seed=1)[1])


def test_split_edge_cases():
    train, val = data.split_indices(3, 0.01, seed=0)
    assert len(val) == 1 and len(train) == 2
    train, val = data.split_indices(5, 0.0, seed=0)
    assert len(val) == 0 and len(train) == 5
    with pytest.raises(ValueError, match="val_fraction"):
        data.split_indices(5, 1.0, seed=0)


def test_load_clips_layout_and_selection(small_dataset):
    x, labels = data.load_clips(small_dataset)
    assert x.shape == (24, 3, 8, 16, 16) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert labels.dtype == torch.int64 and labels.shape == (24,)
    raw = _arrays(small_dataset)["videos"]
    assert torch.allclose(x[3, :, 2], torch.from_numpy(raw[3, 2]).permute(2, 0, 1).float() / 255)
    sub, sub_labels = data.load_clips(small_dataset, indices=[3, 5])
    assert torch.equal(sub[0], x[3]) and torch.equal(sub_labels, labels[[3, 5]])


# ----------------------------------------------------------------------------- CLI


def test_cli_make_then_validate(tmp_path):
    out = tmp_path / "d.npz"
    runner = CliRunner()
    made = runner.invoke(main, ["data", "make", "--out", str(out), "--n", "12", "--frames", "4", "--size", "16"])
    assert made.exit_code == 0, made.output
    assert "12 clips of 4x16x16x3" in made.output
    ok = runner.invoke(main, ["data", "validate", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "all checks passed" in ok.output and (tmp_path / "d_validated.npz").exists()
    again = runner.invoke(main, ["data", "validate", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(main, ["data", "validate", str(out), "--force"])
    assert forced.exit_code == 0, forced.output


def test_cli_validate_lists_problems_with_exit_1(tmp_path, good):
    videos = good["videos"].copy()
    videos[7] = videos[1]
    good["videos"] = videos
    good["labels"] = good["labels"].copy()
    good["labels"][0] = 99
    path = _save_arrays(tmp_path / "bad.npz", good)
    result = CliRunner().invoke(main, ["data", "validate", str(path)])
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output and "duplicates:" in result.output and "range:" in result.output


def test_cli_validate_missing_file_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["data", "validate", str(tmp_path / "missing.npz")])
    assert result.exit_code == 2 and "missing.npz" in result.output
