"""`magvit data import`: a folder of real video files (encoded here with PyAV from synthetic
clips, in two containers and codecs), GIFs and image-sequence folders -> a training data set,
with labels from sub-folders, a manifest back to each source's frame range, corrupt files
skipped and listed, and the trainer training on the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from magvit import data as dataset
from magvit import video_import
from magvit.cli import main

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "magvit" / "configs" / "tiny.yaml"


def synthetic_frames(n_frames: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: one synthetic clip of a moving disk."""
    return dataset.generate(n=1, frames=n_frames, size=size, seed=seed).videos[0]


def encode(path: Path, frames: np.ndarray, codec: str, options: dict[str, str] | None = None) -> Path:
    """Write `frames` (T, H, W, 3) uint8 as a video file with PyAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = options or {}
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def mp4(path: Path, frames: np.ndarray) -> Path:
    return encode(path, frames, "libx264", {"crf": "12", "preset": "veryfast"})


def webm(path: Path, frames: np.ndarray) -> Path:
    return encode(path, frames, "libvpx-vp9", {"crf": "12", "b:v": "0"})


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """A folder as a user would have it: two labelled sub-folders of mp4, webm, a GIF and a PNG sequence."""
    root = tmp_path_factory.mktemp("videos")
    originals = {
        "bouncing/a.mp4": synthetic_frames(24, seed=1),
        "bouncing/b.webm": synthetic_frames(20, seed=2),
        "rolling/c.mp4": synthetic_frames(16, seed=3),
        "rolling/d.gif": synthetic_frames(12, seed=4),
        "rolling/e": synthetic_frames(10, seed=5),  # an image-sequence folder
    }
    mp4(root / "bouncing/a.mp4", originals["bouncing/a.mp4"])
    webm(root / "bouncing/b.webm", originals["bouncing/b.webm"])
    mp4(root / "rolling/c.mp4", originals["rolling/c.mp4"])
    gif = [Image.fromarray(f) for f in originals["rolling/d.gif"]]
    gif[0].save(root / "rolling/d.gif", save_all=True, append_images=gif[1:], duration=40, loop=0)
    (root / "rolling/e").mkdir(parents=True)
    for k, frame in enumerate(originals["rolling/e"]):
        Image.fromarray(frame).save(root / "rolling/e" / f"frame{k}.png")  # frame10 sorts after frame9
    (root / "notes.txt").write_text("not a video\n")
    return root, originals


def test_import_splits_with_a_stride_labels_by_sub_folder_and_traces_every_clip(library, tmp_path):
    root, originals = library
    out = tmp_path / "imported.npz"
    result = video_import.import_videos(root, out, frames=8, size=32, stride=4)
    clips = dataset.load(out)
    # clips per source: starts 0, 4, ... while start + 8 <= length
    expected = {name: (len(f) - 8) // 4 + 1 for name, f in originals.items()}
    assert len(clips.videos) == sum(expected.values()) == result.clips
    assert clips.videos.shape[1:] == (8, 32, 32, 3) and clips.videos.dtype == np.uint8
    assert list(clips.label_names) == ["bouncing", "rolling"]
    manifest = json.loads(result.manifest.read_text())
    assert len(manifest["clips"]) == len(clips.videos)
    for i, entry in enumerate(manifest["clips"]):
        source = originals[entry["source"]]
        start, stop = entry["frames"]
        assert stop - start == 8 and start % 4 == 0
        assert clips.label_names[clips.labels[i]] == entry["source"].split("/")[0] == entry["label"]
        lossless = entry["source"].endswith(("/e", ".gif"))
        # the clip is its source's frames [start, stop), within the codec's tolerance
        assert psnr(clips.videos[i], source[start:stop]) > (40 if lossless else 30), entry
    assert manifest["ignored"] == ["notes.txt"] and manifest["skipped"] == []
    assert manifest["counts"] == {"sources": 5, "imported": 5, "skipped": 0, "clips": len(clips.videos)}


def test_round_trip_through_each_codec_stays_within_codec_tolerance(library, tmp_path):
    root, originals = library
    out = tmp_path / "rt.npz"
    video_import.import_videos(root, out, frames=8, size=32, stride=8)
    clips = dataset.load(out)
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    worst: dict[str, float] = {}
    for i, entry in enumerate(manifest["clips"]):
        start, stop = entry["frames"]
        diff = np.abs(clips.videos[i].astype(int) - originals[entry["source"]][start:stop].astype(int))
        kind = Path(entry["source"]).suffix or "png"
        worst[kind] = max(worst.get(kind, 0.0), float(diff.mean()))
    assert worst["png"] == 0.0  # lossless
    assert worst[".gif"] <= 1.0  # palette quantisation of 8 colours and their anti-aliased edges
    assert worst[".mp4"] <= 3.0 and worst[".webm"] <= 3.0  # lossy, 4:2:0 chroma: a few levels on average


def test_resizes_and_centre_crops_to_the_configured_shape(tmp_path):
    frames = np.zeros((8, 48, 96, 3), dtype=np.uint8)
    frames[:, :, :24] = (255, 0, 0)  # outer quarters red: cropped away
    frames[:, :, 72:] = (255, 0, 0)
    frames[:, :, 24:48] = (0, 0, 255)  # the centre square: blue left half, green right half
    frames[:, :, 48:72] = (0, 255, 0)
    mp4(tmp_path / "in/wide.mp4", frames)
    out = tmp_path / "wide.npz"
    video_import.import_videos(tmp_path / "in", out, frames=4, size=16, stride=4)
    clips = dataset.load(out)
    assert clips.videos.shape == (2, 4, 16, 16, 3)
    frame = clips.videos[0, 0].astype(int)
    assert frame[:, :6, 2].mean() > 200 and frame[:, :6, 0].mean() < 40  # blue on the left, no red
    assert frame[:, 10:, 1].mean() > 200 and frame[:, 10:, 0].mean() < 40  # green on the right
    assert list(clips.label_names) == ["unlabelled"]


def test_a_corrupt_and_a_truncated_file_are_skipped_and_listed(tmp_path):
    root = tmp_path / "in"
    good = mp4(root / "good.mp4", synthetic_frames(16, seed=7))
    webm(root / "also_good.webm", synthetic_frames(16, seed=8))
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 20)
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (root / "short.mp4").write_bytes(mp4(tmp_path / "s.mp4", synthetic_frames(3, seed=9)).read_bytes())
    out = tmp_path / "out.npz"
    run = CliRunner().invoke(main, ["data", "import", "--from", str(root), "--out", str(out),
                                    "--frames", "8", "--size", "32"])  # fmt: skip
    assert run.exit_code == 0, run.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    skipped = {entry["source"]: entry["reason"] for entry in manifest["skipped"]}
    assert set(skipped) == {"broken.mp4", "truncated.mp4", "short.mp4"}
    assert "3 frames" in skipped["short.mp4"]
    assert manifest["counts"] == {"sources": 5, "imported": 2, "skipped": 3, "clips": 4}
    for name in ("broken.mp4", "truncated.mp4", "short.mp4"):
        assert name in run.output  # listed where the user sees it, not only in the manifest
    assert "5 sources: 2 imported, 3 skipped" in run.output
    assert len(dataset.load(out).videos) == 4


def test_nothing_importable_is_exit_2_and_writes_nothing(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "broken.webm").write_bytes(b"garbage" * 100)
    out = tmp_path / "out.npz"
    run = CliRunner().invoke(main, ["data", "import", "--from", str(root), "--out", str(out)])
    assert run.exit_code == 2
    assert "no clips" in run.output and "broken.webm" in run.output
    assert not out.exists()
    missing = CliRunner().invoke(main, ["data", "import", "--from", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 2 and "nope" in missing.output


def test_an_existing_output_is_not_overwritten_without_force(library, tmp_path):
    root, _ = library
    out = tmp_path / "out.npz"
    out.write_bytes(b"precious")
    args = ["data", "import", "--from", str(root), "--out", str(out), "--frames", "8"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 2 and "--force" in run.output
    assert out.read_bytes() == b"precious"
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    assert len(dataset.load(out).videos) > 0


def test_the_trainer_trains_on_the_imported_file(library, tmp_path):
    root, _ = library
    out = tmp_path / "imported.npz"
    video_import.import_videos(root, out, frames=4, size=16, stride=2)
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "magvit", "train", "--data", str(out), "--run-dir", str(run),
                           "--config", str(TINY), "--epochs", "1"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (run / "checkpoints" / "final.pt").is_file()
    final = json.loads((run / "checkpoints" / "final.json").read_text())
    assert final["data_fingerprint"] == dataset.fingerprint(out)
    # evaluation works on it too; real videos have no stored disk positions, so no object metrics
    evaluated = CliRunner().invoke(main, ["eval", "--checkpoint", str(run / "checkpoints" / "final.pt"),
                                          "--data", str(out), "--json"])  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.output)
    assert figures["objects"] is None and 0 < figures["psnr"] < 100
