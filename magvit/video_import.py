"""`magvit data import`: turn a folder of one's own videos into a training data set.

Sources are video files (decoded with PyAV, FFmpeg's bindings: mp4, webm, mkv, mov, avi, gif,
...) and image-sequence folders (a folder that directly holds image files, read in natural
order: frame2 before frame10). Every frame is centre-cropped to a square and resized to
`size` x `size`; each source is cut into clips of `frames` frames starting every `stride`
frames (a tail shorter than a clip is left out). When sources lie in sub-folders of the input
folder, the first sub-folder names the label; otherwise every clip is `unlabelled`.

The output is the data set format of `magvit.data` (videos, labels, label_names, meta; no
positions: real videos carry none) plus `clip_source` and `clip_frames`, and a JSON manifest
beside it (`NAME.manifest.json`) that traces every clip to its source file and frame range and
lists every skipped source with its reason and every ignored file. A source that cannot be
decoded (corrupt, truncated, unreadable) or is shorter than one clip is skipped and listed,
never silently dropped: `sources = imported + skipped` always holds.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from magvit.atomic import atomic_write_text
from magvit.data import _write_npz

FORMAT = "magvit-video-import/1"
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif", ".mpg", ".mpeg", ".ogv"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
UNLABELLED = "unlabelled"


class VideoImportError(Exception):
    """Nothing could be imported, or the input or output cannot be used; the message says why."""


@dataclass(frozen=True)
class Source:
    """One video file or image-sequence folder, relative to the input folder."""

    path: Path
    relative: str
    """POSIX path below the input folder: what the manifest names."""
    label: str
    is_sequence: bool


@dataclass(frozen=True)
class ImportResult:
    """What `import_videos` wrote and what it left out."""

    out: Path
    manifest: Path
    clips: int
    sources: int
    imported: int
    skipped: tuple[tuple[str, str], ...]
    """(source, reason) of every source that gave no clip."""
    ignored: tuple[str, ...]
    """Files that are neither a video nor part of an image sequence."""
    label_names: tuple[str, ...] = field(default_factory=tuple)


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def find_sources(root: Path) -> tuple[list[Source], list[str]]:
    """(sources, ignored files) below `root`, in a stable order."""
    found: list[tuple[Path, bool]] = []
    ignored: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort(key=_natural_key)
        here = Path(folder)
        images = [f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES]
        if images and here != root:
            found.append((here, True))  # an image-sequence folder is one source
        for name in sorted(files, key=_natural_key):
            suffix = Path(name).suffix.lower()
            if suffix in VIDEO_SUFFIXES:
                found.append((here / name, False))
            elif suffix not in IMAGE_SUFFIXES or here == root:
                ignored.append((here / name).relative_to(root).as_posix())
    found.sort(key=lambda item: _natural_key(item[0].relative_to(root).as_posix()))
    labelled = any(len(path.relative_to(root).parts) > 1 for path, _ in found)
    sources = [Source(path=path, relative=path.relative_to(root).as_posix(), is_sequence=seq,
                      label=path.relative_to(root).parts[0] if labelled and len(path.relative_to(root).parts) > 1
                      else UNLABELLED)
               for path, seq in found]  # fmt: skip
    return sources, ignored


def _fit(image, size: int) -> np.ndarray:
    """A PIL image centre-cropped to a square and resized to size x size RGB (antialiased bilinear)."""
    from PIL import Image

    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    square = image.convert("RGB").crop((left, top, left + side, top + side))
    return np.asarray(square.resize((size, size), Image.BILINEAR), dtype=np.uint8)


def _video_frames(path: Path, size: int) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        for frame in container.decode(video=0):
            yield _fit(frame.to_image(), size)


def _sequence_frames(folder: Path, size: int) -> Iterator[np.ndarray]:
    from PIL import Image

    names = sorted((f for f in os.listdir(folder) if Path(f).suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    for name in names:
        with Image.open(folder / name) as image:
            yield _fit(image, size)


def read_frames(source: Source, size: int, frame_step: int = 1) -> np.ndarray:
    """(T, size, size, 3) uint8: every `frame_step`-th frame of the source, fitted; raises on a decoding error."""
    frames = _sequence_frames(source.path, size) if source.is_sequence else _video_frames(source.path, size)
    kept = [f for k, f in enumerate(frames) if k % frame_step == 0]
    return np.stack(kept) if kept else np.zeros((0, size, size, 3), dtype=np.uint8)


def clip_starts(length: int, frames: int, stride: int) -> list[int]:
    """Start frames of the clips cut from `length` frames: 0, stride, ... while a whole clip fits."""
    return list(range(0, length - frames + 1, stride)) if length >= frames else []


def manifest_path(out: Path) -> Path:
    """Where the manifest of `out` goes: `NAME.manifest.json` beside it."""
    return out.with_suffix(".manifest.json")


def import_videos(root: str | os.PathLike, out: str | os.PathLike, frames: int = 16, size: int = 32,
                  stride: int | None = None, frame_step: int = 1, force: bool = False) -> ImportResult:
    """Import every source below `root` into the data set `out` and its manifest; see the module doc.

    Raises VideoImportError when `root` is not a folder, `out` exists and `force` is false, or no
    source gave a clip (nothing is written then).
    """
    root, out = Path(root), Path(out)
    stride = stride or frames
    for name, value in (("frames", frames), ("size", size), ("stride", stride), ("frame_step", frame_step)):
        if value < 1:
            raise VideoImportError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if not root.is_dir():
        raise VideoImportError(f"{root}: not a folder")
    for path in (out, manifest_path(out)):
        if path.exists() and not force:
            raise VideoImportError(f"{path} exists; pass --force to overwrite it")
    sources, ignored = find_sources(root)
    videos, clip_source, clip_frames, clip_labels, used, skipped = [], [], [], [], [], []
    for source in sources:
        try:
            source_frames = read_frames(source, size, frame_step)
        except Exception as exc:  # noqa: BLE001 - PyAV and PIL raise many types for bad files: skip and list
            skipped.append((source.relative, f"cannot be decoded: {type(exc).__name__}: {exc}"))
            continue
        starts = clip_starts(len(source_frames), frames, stride)
        if not starts:
            skipped.append((source.relative, f"{len(source_frames)} frames, fewer than one clip of {frames}"))
            continue
        used.append(source)
        for start in starts:
            videos.append(source_frames[start:start + frames])
            clip_source.append(len(used) - 1)
            # the frame range in the source's own frame numbers (before --frame-step)
            clip_frames.append((start * frame_step, (start + frames - 1) * frame_step + 1))
            clip_labels.append(source.label)
    counts = {"sources": len(sources), "imported": len(used), "skipped": len(skipped), "clips": len(videos)}
    if not videos:
        listed = "; ".join(f"{name}: {reason}" for name, reason in skipped) or "no video files or image folders"
        raise VideoImportError(f"{root}: no clips imported ({counts['sources']} sources; {listed})")
    label_names = sorted(set(clip_labels), key=_natural_key)
    labels = np.array([label_names.index(label) for label in clip_labels], dtype=np.int64)
    args = {"from": str(root), "frames": frames, "size": size, "stride": stride, "frame_step": frame_step}
    meta = {"format": FORMAT, "generator": "magvit.video_import.import_videos", "args": args, "counts": counts,
            "layout": {"videos": "N,T,H,W,C uint8", "clip_frames": "N,(start,stop) source frame numbers"}}
    _write_npz(out, {
        "videos": np.stack(videos), "labels": labels, "label_names": np.array(label_names),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
        "sources": np.array([s.relative for s in used]), "clip_source": np.array(clip_source, dtype=np.int64),
        "clip_frames": np.array(clip_frames, dtype=np.int64),
    })  # fmt: skip
    manifest = {
        "format": FORMAT, "data": out.name, "args": args, "counts": counts, "label_names": label_names,
        "clips": [{"clip": i, "source": used[s].relative, "label": clip_labels[i], "frames": list(clip_frames[i])}
                  for i, s in enumerate(clip_source)],
        "skipped": [{"source": name, "reason": reason} for name, reason in skipped],
        "ignored": ignored,
    }  # fmt: skip
    atomic_write_text(manifest_path(out), json.dumps(manifest, indent=2) + "\n")
    return ImportResult(out=out, manifest=manifest_path(out), clips=len(videos), sources=len(sources),
                        imported=len(used), skipped=tuple(skipped), ignored=tuple(ignored),
                        label_names=tuple(label_names))


def format_result(result: ImportResult) -> str:
    """What `magvit data import` prints: the counts, every skipped source with its reason, the ignored files."""
    lines = [f"wrote {result.out}: {result.clips} clips ({', '.join(result.label_names)}); "
             f"manifest {result.manifest}",
             f"{result.sources} sources: {result.imported} imported, {len(result.skipped)} skipped"]
    lines += [f"  skipped {name}: {reason}" for name, reason in result.skipped]
    if result.ignored:
        shown = ", ".join(result.ignored[:10]) + (f" and {len(result.ignored) - 10} more" if len(result.ignored) > 10 else "")
        lines.append(f"{len(result.ignored)} other files ignored (not a video or image): {shown}")
    return "\n".join(lines)
