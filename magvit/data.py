"""Synthetic trajectory videos: generation, deterministic storage, validation, loading, splitting.

A clip shows one soft-edged coloured disk on a dark grey background moving along one of
four trajectory kinds. The file format is described in docs/data.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from magvit.atomic import atomic_writer

GENERATOR_VERSION = "2"
FORMAT = "magvit-trajectories/1"
TRAJECTORY_KINDS: tuple[str, ...] = ("linear", "ballistic", "circular", "sinusoidal")
ARRAY_KEYS: tuple[str, ...] = ("videos", "labels", "label_names", "positions", "meta")
REQUIRED_KEYS: tuple[str, ...] = ("videos", "labels", "label_names", "meta")
"""What `load` needs; `positions` is optional (a data set imported from real videos has none)."""

# Object colours (RGB in [0, 1]): bright and far apart, like CLEVR's palette; a discrete
# palette keeps colour a few bits of information per clip that a small codebook can carry.
PALETTE: tuple[tuple[float, float, float], ...] = (
    (0.95, 0.25, 0.20),  # red
    (0.30, 0.90, 0.30),  # green
    (0.30, 0.45, 1.00),  # blue
    (0.95, 0.90, 0.25),  # yellow
    (0.25, 0.90, 0.95),  # cyan
    (0.95, 0.35, 0.90),  # magenta
    (1.00, 0.60, 0.20),  # orange
    (0.95, 0.95, 0.95),  # white
)
BACKGROUND = 0.06  # dark grey, the same in every clip

# Every zip member gets this timestamp so that equal arguments give equal bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Rendering clips in chunks bounds the float32 working set (chunk x T x H x W).
_RENDER_CHUNK = 512
# A frame shows the object when some pixel differs from the clip's background by this much.
VISIBLE_DELTA = 32
# A label is under-represented when it has fewer than this fraction of its fair share N / K.
BALANCE_MIN_SHARE = 0.5


class DataFileError(Exception):
    """A dataset file is missing or cannot be read as a dataset."""


# ----------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class Clips:
    """A generated data set, in the arrays that the npz file stores."""

    videos: np.ndarray  # uint8 (N, T, H, W, 3)
    labels: np.ndarray  # int64 (N,)
    label_names: np.ndarray  # str (K,)
    positions: np.ndarray | None  # float32 (N, T, 2): (x, y) disk centre in pixels, pixel (i, j) centred at (j + .5, i + .5); None when not stored
    meta: dict


def _trajectories(rng: np.random.Generator, n: int, frames: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres (n, frames, 2) for every kind, and the disk radius (n,), all in pixels.

    Parameters for all four kinds are drawn for every clip, in a fixed order, so that the
    random stream (and therefore the file) depends only on the arguments.
    """
    s = float(size)
    t = np.arange(frames, dtype=np.float64)[None, :]  # (1, T)
    radius = rng.uniform(0.09, 0.14, n) * s
    lo, hi = radius[:, None], (s - radius)[:, None]  # the disk stays entirely inside the frame

    # linear: a segment of length L at angle theta, placed so both ends stay inside
    theta = rng.uniform(0, 2 * np.pi, n)
    length = rng.uniform(0.25, 0.45, n) * s
    dx, dy = 0.5 * length * np.cos(theta), 0.5 * length * np.sin(theta)
    mx = rng.uniform(radius + np.abs(dx), s - radius - np.abs(dx))
    my = rng.uniform(radius + np.abs(dy), s - radius - np.abs(dy))
    u = t / max(frames - 1, 1)
    linear = np.stack([mx[:, None] + (2 * u - 1) * dx[:, None], my[:, None] + (2 * u - 1) * dy[:, None]], -1)

    # ballistic: gravity pulls down (+y), elastic-ish bounces on the floor, walls and ceiling
    x = rng.uniform(radius, s - radius)
    y = rng.uniform(radius, 0.5 * s)
    vx = rng.uniform(0.015, 0.035, n) * s * rng.choice([-1.0, 1.0], n)
    vy = rng.uniform(-0.03, 0.03, n) * s
    gravity = rng.uniform(0.004, 0.008, n) * s
    restitution = rng.uniform(0.75, 0.95, n)
    ballistic = np.empty((n, frames, 2))
    for k in range(frames):
        ballistic[:, k, 0], ballistic[:, k, 1] = x, y
        vy = vy + gravity
        x, y = x + vx, y + vy
        floor, wall_r, wall_l, ceiling = y > s - radius, x > s - radius, x < radius, y < radius
        y = np.where(floor, 2 * (s - radius) - y, y)
        vy = np.where(floor, -vy * restitution, vy)
        x = np.where(wall_r, 2 * (s - radius) - x, np.where(wall_l, 2 * radius - x, x))
        vx = np.where(wall_r | wall_l, -vx, vx)
        y = np.where(ceiling, 2 * radius - y, y)
        vy = np.where(ceiling, -vy, vy)
    np.clip(ballistic, lo[..., None], hi[..., None], out=ballistic)

    # circular: orbit of radius R around a centre that keeps the whole orbit inside
    orbit = rng.uniform(0.15, 0.3, n) * s
    cx = rng.uniform(radius + orbit, s - radius - orbit)
    cy = rng.uniform(radius + orbit, s - radius - orbit)
    phase = rng.uniform(0, 2 * np.pi, n)
    turns = rng.uniform(0.25, 0.5, n) * rng.choice([-1.0, 1.0], n)
    angle = phase[:, None] + 2 * np.pi * turns[:, None] * t / frames
    circular = np.stack([cx[:, None] + orbit[:, None] * np.cos(angle), cy[:, None] + orbit[:, None] * np.sin(angle)], -1)

    # sinusoidal: steady travel along one axis, a sine wave across it; half the clips travel vertically
    amp = rng.uniform(0.08, 0.15, n) * s
    travel = rng.uniform(0.25, 0.45, n) * s * rng.choice([-1.0, 1.0], n)
    start = rng.uniform(radius + np.maximum(0, -travel), s - radius - np.maximum(0, travel))
    mid = rng.uniform(radius + amp, s - radius - amp)
    cycles = rng.uniform(0.6, 1.0, n)
    wphase = rng.uniform(0, 2 * np.pi, n)
    along = start[:, None] + travel[:, None] * u
    across = mid[:, None] + amp[:, None] * np.sin(2 * np.pi * cycles[:, None] * u + wphase[:, None])
    vertical = rng.random(n) < 0.5
    sinusoidal = np.where(vertical[:, None, None], np.stack([across, along], -1), np.stack([along, across], -1))

    kinds = np.stack([linear, ballistic, circular, sinusoidal], 0)  # (K, n, T, 2), in TRAJECTORY_KINDS order
    return kinds, radius


def _render(centres: np.ndarray, radius: np.ndarray, colour: np.ndarray, background: np.ndarray, size: int) -> np.ndarray:
    """Anti-aliased disks: pixel coverage is approximated by clip(r + 0.5 - distance, 0, 1)."""
    n, frames, _ = centres.shape
    out = np.empty((n, frames, size, size, 3), dtype=np.uint8)
    grid = np.arange(size, dtype=np.float32) + 0.5
    for a in range(0, n, _RENDER_CHUNK):
        b = min(a + _RENDER_CHUNK, n)
        cx = centres[a:b, :, 0, None, None].astype(np.float32)
        cy = centres[a:b, :, 1, None, None].astype(np.float32)
        dist = np.sqrt((grid[None, None, None, :] - cx) ** 2 + (grid[None, None, :, None] - cy) ** 2)
        alpha = np.clip(radius[a:b, None, None, None].astype(np.float32) + 0.5 - dist, 0.0, 1.0)[..., None]
        bg = background[a:b, None, None, None, :].astype(np.float32)
        fg = colour[a:b, None, None, None, :].astype(np.float32)
        frame = bg + alpha * (fg - bg)
        out[a:b] = np.rint(frame * 255.0).astype(np.uint8)
    return out


def generate(n: int = 200, frames: int = 16, size: int = 32, seed: int = 0) -> Clips:
    """Make `n` clips of `frames` frames of `size` x `size` RGB pixels, labels balanced over the kinds."""
    for name, value, least in (("n", n, 1), ("frames", frames, 2), ("size", size, 8)):
        if int(value) != value or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    rng = np.random.default_rng(seed)
    k = len(TRAJECTORY_KINDS)
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)
    kinds, radius = _trajectories(rng, n, frames, size)
    positions = kinds[labels, np.arange(n)].astype(np.float32)
    colour = np.asarray(PALETTE)[rng.integers(0, len(PALETTE), n)]
    background = np.full((n, 3), BACKGROUND)
    videos = _render(positions, radius, colour, background, size)
    meta = {
        "format": FORMAT,
        "generator": "magvit.data.generate",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "args": {"n": int(n), "frames": int(frames), "size": int(size), "seed": int(seed)},
        "kinds": list(TRAJECTORY_KINDS),
        "palette": [list(c) for c in PALETTE],
        "background": BACKGROUND,
        "layout": {"videos": "N,T,H,W,C uint8", "positions": "N,T,(x,y) pixels"},
    }
    return Clips(videos, labels, np.array(TRAJECTORY_KINDS), positions, meta)


# ----------------------------------------------------------------------------- storage


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an uncompressed npz whose bytes depend only on the arrays (fixed member dates), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(arr), allow_pickle=False)


def save(clips: Clips, path: str | os.PathLike) -> Path:
    """Store `clips` at `path` (npz, byte-identical for identical clips)."""
    _write_npz(Path(path), _arrays(clips))
    return Path(path)


def _arrays(clips: Clips) -> dict[str, np.ndarray]:
    return {
        "videos": clips.videos,
        "labels": clips.labels,
        "label_names": clips.label_names,
        "positions": clips.positions,
        "meta": np.array(json.dumps(clips.meta, sort_keys=True)),
    }


def make_dataset(out: str | os.PathLike, n: int = 200, frames: int = 16, size: int = 32, seed: int = 0) -> Path:
    """Generate and save a data set; the `magvit data make` command."""
    return save(generate(n=n, frames=frames, size=size, seed=seed), out)


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of a dataset file, without pickles; DataFileError naming the file if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except Exception as exc:  # zip, npy-header and pickle errors all mean "not a dataset file"
        raise DataFileError(f"{path}: cannot be read as an npz data set ({exc})") from exc


def load(path: str | os.PathLike) -> Clips:
    """Read a dataset file written by `save` (or by `magvit data import`, which stores no positions)."""
    arrays = read_arrays(path)
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise DataFileError(f"{path}: missing arrays {', '.join(missing)}")
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: meta is not JSON ({exc})") from exc
    return Clips(arrays["videos"], arrays["labels"], arrays["label_names"], arrays.get("positions"), meta)


def load_clips(path: str | os.PathLike, indices=None):
    """Videos as a float32 torch tensor (N, C, T, H, W) in [0, 1], and labels as an int64 tensor (N,).

    `indices` (optional) selects clips, e.g. one side of `split_indices`.
    """
    import torch

    clips = load(path)
    videos, labels = clips.videos, clips.labels
    problem = clip_array_problem(videos)
    if problem:
        raise DataFileError(f"{path}: {problem} (`magvit data validate {path}` lists every problem)")
    if indices is not None:
        videos, labels = videos[np.asarray(indices)], labels[np.asarray(indices)]
    x = torch.from_numpy(np.ascontiguousarray(videos.transpose(0, 4, 1, 2, 3))).float().div_(255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def clip_array_problem(videos: np.ndarray) -> str | None:
    """Why `videos` cannot be read as clips (N, T, H, W, C) of finite numbers, or None."""
    if videos.ndim != 5:
        return f"videos must be an array of clips (N, T, H, W, C), not of shape {videos.shape}"
    if not (np.issubdtype(videos.dtype, np.number) or videos.dtype == np.bool_):
        return f"videos must hold numbers, not {videos.dtype}"
    if np.issubdtype(videos.dtype, np.inexact):
        bad = ~np.isfinite(videos)
        if bad.any():
            clips = np.flatnonzero(bad.reshape(len(videos), -1).any(axis=1))
            shown = ", ".join(f"clip {i}" for i in clips[:5]) + (f" and {len(clips) - 5} more" if len(clips) > 5 else "")
            return f"videos hold {int(bad.sum())} NaN or infinite values ({shown}): training on them gives a NaN loss"
    return None


def fingerprint(path: str | os.PathLike) -> str:
    """sha256 hex digest of a dataset file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train / held-out split of `n` clips: (train_idx, val_idx), each sorted int64.

    The held-out side has round(n * val_fraction) clips, at least one when val_fraction > 0
    and at least one clip is left for training. Trainer and evaluator both use this function.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    n_val = int(round(n * val_fraction))
    if val_fraction > 0:
        n_val = min(max(n_val, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]).astype(np.int64), np.sort(order[:n_val]).astype(np.int64)


# ----------------------------------------------------------------------------- validation


def _problems(arrays: dict[str, np.ndarray]) -> list[str]:
    """Every problem of a data set, one sentence each; an empty list means it passes."""
    problems = [f"missing array '{k}'" for k in ARRAY_KEYS if k not in arrays]
    if "meta" in arrays:
        try:
            json.loads(str(arrays["meta"]))
        except json.JSONDecodeError:
            problems.append("meta: not a JSON string")
    videos = arrays.get("videos")
    shape_ok = videos is not None and videos.ndim == 5 and videos.shape[-1] in (1, 3) and videos.shape[0] > 0
    for check in (_shape_problems, _dtype_problems, _value_problems, _content_problems):
        problems += check(arrays, shape_ok)
    return problems


def _parts(arrays: dict[str, np.ndarray]) -> tuple[Any, Any, Any, Any]:
    return arrays.get("videos"), arrays.get("labels"), arrays.get("positions"), arrays.get("label_names")


def _shape_problems(arrays: dict[str, np.ndarray], shape_ok: bool) -> list[str]:
    videos, labels, positions, names = _parts(arrays)
    problems: list[str] = []
    if videos is not None and not shape_ok:
        problems.append(f"shape: videos must be (N, T, H, W, C) with N > 0 and C in (1, 3), got {videos.shape}")
    if shape_ok:
        n, frames = videos.shape[:2]
        if labels is not None and labels.shape != (n,):
            problems.append(f"shape: labels must be ({n},), got {labels.shape}")
        if positions is not None and positions.shape != (n, frames, 2):
            problems.append(f"shape: positions must be ({n}, {frames}, 2), got {positions.shape}")
    if names is not None and (names.ndim != 1 or names.size == 0):
        problems.append(f"shape: label_names must be a non-empty 1-D array, got {names.shape}")
    return problems


def _dtype_problems(arrays: dict[str, np.ndarray], shape_ok: bool) -> list[str]:
    videos, labels, positions, names = _parts(arrays)
    problems: list[str] = []
    if videos is not None and videos.dtype != np.uint8:
        problems.append(f"dtype: videos must be uint8, got {videos.dtype}")
    if labels is not None and not np.issubdtype(labels.dtype, np.integer):
        problems.append(f"dtype: labels must be integers, got {labels.dtype}")
    if positions is not None and not np.issubdtype(positions.dtype, np.floating):
        problems.append(f"dtype: positions must be floating point, got {positions.dtype}")
    if names is not None and names.dtype.kind != "U":
        problems.append(f"dtype: label_names must be strings, got {names.dtype}")
    return problems


def _label_count(names: Any) -> int | None:
    return names.size if names is not None and names.ndim == 1 else None


def _value_problems(arrays: dict[str, np.ndarray], shape_ok: bool) -> list[str]:
    """NaN and infinite values, and values out of range (pixels, labels, positions)."""
    videos, labels, positions, names = _parts(arrays)
    problems: list[str] = []
    for key, arr in (("videos", videos), ("positions", positions)):
        if arr is not None and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            problems.append(f"nan: {key} has {int((~np.isfinite(arr)).sum())} NaN or infinite values")

    if videos is not None and videos.dtype != np.uint8 and np.issubdtype(videos.dtype, np.number):
        finite = videos[np.isfinite(videos)] if np.issubdtype(videos.dtype, np.floating) else videos
        if finite.size and (finite.min() < 0 or finite.max() > 255):
            problems.append(f"range: videos values must lie in [0, 255], got [{finite.min()}, {finite.max()}]")
    k = _label_count(names)
    if labels is not None and np.issubdtype(labels.dtype, np.integer) and labels.size and k:
        bad = (labels < 0) | (labels >= k)
        if bad.any():
            problems.append(f"range: {int(bad.sum())} labels outside [0, {k}) (label_names has {k} names)")
    if shape_ok and positions is not None and positions.shape == videos.shape[:2] + (2,) and np.issubdtype(positions.dtype, np.floating):
        h, w = videos.shape[2:4]
        limit = np.array([w, h], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            outside = ((positions < 0) | (positions > limit)).any(-1)
        if outside.any():
            problems.append(f"range: {int(outside.sum())} positions lie outside the {w}x{h} frame")
    return problems


def _content_problems(arrays: dict[str, np.ndarray], shape_ok: bool) -> list[str]:
    """The object visible in every frame, labels balanced, no clip repeated."""
    videos, labels, _positions, names = _parts(arrays)
    problems: list[str] = []
    k = _label_count(names)
    # object visible in every frame
    if shape_ok and videos.dtype == np.uint8:
        hidden = _hidden_frames(videos)
        if hidden.size:
            shown = ", ".join(f"clip {c} frame {f}" for c, f in hidden[:5])
            more = f" and {len(hidden) - 5} more" if len(hidden) > 5 else ""
            problems.append(f"visibility: no object visible in {len(hidden)} frames ({shown}{more})")

    # label balance
    if labels is not None and np.issubdtype(labels.dtype, np.integer) and labels.size and k:
        counts = np.bincount(labels[(labels >= 0) & (labels < k)], minlength=k)[:k]
        fair = labels.size / k
        short = [f"{names[i]}={counts[i]}" for i in range(k) if counts[i] < BALANCE_MIN_SHARE * fair]
        if short:
            problems.append(
                f"balance: labels under {BALANCE_MIN_SHARE:.0%} of their fair share {fair:.1f}: {', '.join(short)}"
            )

    # duplicate clips
    if shape_ok:
        seen: dict[bytes, int] = {}
        dupes = []
        for i in range(videos.shape[0]):
            key = hashlib.sha1(np.ascontiguousarray(videos[i]).tobytes()).digest()
            if key in seen:
                dupes.append((seen[key], i))
            else:
                seen[key] = i
        if dupes:
            shown = ", ".join(f"{i}={j}" for i, j in dupes[:5])
            more = f" and {len(dupes) - 5} more" if len(dupes) > 5 else ""
            problems.append(f"duplicates: {len(dupes)} clips repeat an earlier clip ({shown}{more})")
    return problems


def _hidden_frames(videos: np.ndarray) -> np.ndarray:
    """(clip, frame) pairs in which no pixel differs from the clip's background by VISIBLE_DELTA."""
    hidden = []
    for a in range(0, videos.shape[0], _RENDER_CHUNK):
        chunk = videos[a : a + _RENDER_CHUNK].astype(np.int16)
        n, t, h, w, c = chunk.shape
        background = np.median(chunk.reshape(n, -1, c), axis=1).astype(np.int16)  # the object covers few pixels
        delta = np.abs(chunk - background[:, None, None, None, :]).max(axis=(2, 3, 4))  # (n, t)
        clip, frame = np.nonzero(delta < VISIBLE_DELTA)
        hidden.extend(zip((clip + a).tolist(), frame.tolist()))
    return np.array(hidden, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one data set file."""

    path: Path
    problems: tuple[str, ...]
    written: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def validated_path(path: str | os.PathLike) -> Path:
    """Where `validate` writes the checked copy: `<name>_validated.npz` beside the input."""
    path = Path(path)
    return path.with_name(f"{path.stem}_validated.npz")


def validate(path: str | os.PathLike, force: bool = False) -> Validation:
    """Check a data set; when every check passes, write `<name>_validated.npz` beside it.

    Raises DataFileError when the file is missing or unreadable, and FileExistsError when
    the output exists and `force` is false. The copy carries the input's sha256 in its meta.
    """
    path = Path(path)
    arrays = read_arrays(path)
    problems = tuple(_problems(arrays))
    if problems:
        return Validation(path, problems)
    out = validated_path(path)
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to overwrite it")
    meta = json.loads(str(arrays["meta"]))
    meta["validated"] = {"source": path.name, "source_sha256": fingerprint(path), "validator_version": GENERATOR_VERSION}
    arrays = {**arrays, "meta": np.array(json.dumps(meta, sort_keys=True))}
    _write_npz(out, arrays)
    return Validation(path, problems, out)


def summary(clips: Clips) -> str:
    """One line describing a data set, for the CLI."""
    n, t, h, w, c = clips.videos.shape
    counts = np.bincount(clips.labels, minlength=len(clips.label_names))
    per_kind = ", ".join(f"{name}={count}" for name, count in zip(clips.label_names, counts))
    return f"{n} clips of {t}x{h}x{w}x{c} ({per_kind})"
