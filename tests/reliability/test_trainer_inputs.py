"""Bad input to `magvit train` is a clear exit-2 message, never a traceback; a diverging run fails loudly.

Every case is a real `python -m magvit train` subprocess on the tiny config: NaN/Inf data,
videos without a channel axis or with the wrong channel count, a read-only run directory, a
manifest nested 100,000 deep, a newest checkpoint that `torch.load(weights_only=True)`
refuses although its manifest matches, and a loss that becomes NaN.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from magvit.checkpoint import CheckpointManager

from .conftest import PYTHON, ROOT, child_env, mode_bits_popen

# real trainer processes, seconds each: CI runs them; the developer loop (-m "not slow") leaves them out
pytestmark = pytest.mark.slow

TINY = ROOT / "magvit" / "configs" / "tiny.yaml"


def train(data: Path, run_dir: Path, *extra: str, config: Path = TINY, **popen) -> subprocess.CompletedProcess:
    argv = [PYTHON, "-m", "magvit", "train", "--data", str(data), "--run-dir", str(run_dir), "--config", str(config),
            "--lock-wait", "0", *extra]  # fmt: skip
    popen.setdefault("env", child_env())
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, **popen)


def validate(data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "magvit", "data", "validate", str(data)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=child_env())  # fmt: skip


def assert_clear_exit_2(result: subprocess.CompletedProcess, *needles: str) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert result.stderr.startswith("error: "), text
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def with_videos(source: Path, out: Path, videos: np.ndarray) -> Path:
    """`source` with its videos replaced (every other array kept)."""
    with np.load(source, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["videos"] = videos
    np.savez(out, **arrays)
    return out


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(token: str):
        raise ValueError(f"non-standard JSON constant {token}")

    return json.loads(text, parse_constant=refuse)


def events(run_dir: Path) -> list[dict]:
    return [strict_json(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


# --- data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_nan_or_inf_data_is_refused_by_validate_and_at_training_start(tmp_path: Path, tiny_data: Path,
                                                                      bad: float) -> None:
    with np.load(tiny_data) as npz:
        videos = npz["videos"].astype(np.float32)
    videos[3, 1, 2, 2, 0] = bad
    videos[7, 0, 0, 0, 1] = bad
    data = with_videos(tiny_data, tmp_path / "bad.npz", videos)
    checked = validate(data)
    assert checked.returncode == 1 and "nan: videos has 2 NaN or infinite values" in checked.stdout, checked.stdout
    run_dir = tmp_path / "run"
    result = train(data, run_dir, "--epochs", "1")
    assert_clear_exit_2(result, str(data), "2 NaN or infinite values", "clip 3")
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "events.jsonl").exists()


@pytest.mark.parametrize("shape", ["2-D", "4-D"])
def test_videos_without_the_clip_axes_are_a_clear_error(tmp_path: Path, tiny_data: Path, shape: str) -> None:
    with np.load(tiny_data) as npz:
        videos = npz["videos"]
    videos = videos.reshape(len(videos), -1) if shape == "2-D" else videos[..., 0]
    data = with_videos(tiny_data, tmp_path / "flat.npz", videos)
    result = train(data, tmp_path / "run", "--epochs", "1")
    assert_clear_exit_2(result, str(data), "(N, T, H, W, C)", str(tuple(videos.shape)))


def test_one_channel_videos_for_a_three_channel_tokenizer_are_a_clear_error(tmp_path: Path, tiny_data: Path) -> None:
    with np.load(tiny_data) as npz:
        videos = npz["videos"][..., :1]
    data = with_videos(tiny_data, tmp_path / "gray.npz", videos)
    assert validate(data).returncode == 0  # grey clips are a valid data set: the model decides
    result = train(data, tmp_path / "run", "--epochs", "1")
    assert_clear_exit_2(result, str(data), "1 channel", "tokenizer.in_channels is 3")


# --- the run directory -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_data: Path) -> Path:
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    result = train(tiny_data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir


@pytest.mark.parametrize("which", ["empty", "finished", "finished, lock file writable"])
def test_a_read_only_run_directory_is_a_clear_error(tmp_path: Path, tiny_data: Path, finished_run: Path,
                                                    which: str) -> None:
    popen = mode_bits_popen(tmp_path)
    if popen is None:
        pytest.skip("root here cannot be made to obey file permission bits (no CAP_SETPCAP to drop capabilities)")
    run_dir = tmp_path / "run"
    if which.startswith("finished"):
        shutil.copytree(finished_run, run_dir)
    else:
        run_dir.mkdir()
    modes = {p: p.stat().st_mode for p in [run_dir, *run_dir.rglob("*")]
             if which != "finished, lock file writable" or p.name != "trainer.lock"}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        result = train(tiny_data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps", **popen)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert_clear_exit_2(result, str(run_dir), "Permission denied")


def test_a_deeply_nested_manifest_is_passed_over_like_a_corrupt_one(tmp_path: Path, tiny_data: Path,
                                                                    finished_run: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    checkpoints = run_dir / "checkpoints"
    (checkpoints / "step-00000099.json").write_text("[" * 100_000 + "]" * 100_000)
    (checkpoints / "step-00000099.pt").write_bytes(b"not a checkpoint")
    result = train(tiny_data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    skipped = [e for e in events(run_dir) if e["event"] == "checkpoint_skipped"]
    assert any(e["file"] == "step-00000099.pt" and "manifest" in e["reason"] for e in skipped), skipped
    resumed = [e for e in events(run_dir) if e["event"] == "resumed_from"]
    assert resumed[-1]["file"] == "final.pt"


# --- a newest checkpoint that weights_only refuses ----------------------------------------------


def _make_unloadable(pt: Path) -> bytes:
    """Replace a checkpoint with a pickle torch's weights_only loader refuses, and make its manifest match."""
    torch.save({"format": "magvit-checkpoint/1", "extra": argparse.Namespace(x=1)}, pt)
    data = pt.read_bytes()
    manifest_path = pt.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest.update(size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest_path.write_text(json.dumps(manifest))
    return data


def test_an_unloadable_newest_checkpoint_falls_back_to_the_previous_valid_one(tmp_path: Path,
                                                                               tiny_data: Path) -> None:
    run_dir = tmp_path / "run"
    first = train(tiny_data, run_dir, "--epochs", "2", "--checkpoint-every", "2steps")
    assert first.returncode == 0, first.stdout + first.stderr
    manager = CheckpointManager(run_dir / "checkpoints")
    newest, manifest = manager.latest_valid()
    assert newest.name == "final.pt"
    held = _make_unloadable(newest)
    assert manager.latest_valid()[0] == newest  # its manifest is valid: only loading it fails
    second = train(tiny_data, run_dir, "--epochs", "2", "--checkpoint-every", "2steps")
    text = second.stdout + second.stderr
    assert second.returncode == 0, text
    assert newest.name in text and "cannot be loaded" in text and "falling back" in text, text
    evs = events(run_dir)
    skipped = [e for e in evs if e["event"] == "checkpoint_skipped" and e["file"] == newest.name]
    assert skipped and "weights_only" in skipped[-1]["reason"] + text, skipped
    resumed = [e for e in evs if e["event"] == "resumed_from"][-1]
    assert resumed["file"] != newest.name and resumed["step"] <= manifest.step, resumed
    # nothing the user had is lost: the refused file is kept, byte for byte, beside its manifest
    kept = run_dir / "checkpoints" / "unloadable" / newest.name
    assert kept.read_bytes() == held and json.loads(kept.with_suffix(".json").read_text())["file"] == newest.name
    assert [e for e in evs if e["event"] == "run_end"][-1]["status"] == "finished"
    # the run at its resumed end saved a final checkpoint of its own again, which loads
    assert manager.load(run_dir / "checkpoints" / "final.pt")["step"] == manifest.step


# --- a loss that is not finite ----------------------------------------------------------------


def test_a_nan_loss_stops_the_run_as_failed_keeping_the_last_good_checkpoint(tmp_path: Path,
                                                                             tiny_data: Path) -> None:
    config = yaml.safe_load(TINY.read_text())
    config["train"].update(lr=1.0e30, grad_clip=None)  # the second step's loss is NaN
    diverging = tmp_path / "diverging.yaml"
    diverging.write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "run"
    result = train(tiny_data, run_dir, "--epochs", "2", "--checkpoint-every", "1steps", config=diverging)
    text = result.stdout + result.stderr
    assert result.returncode == 5, text
    assert "Finished" not in text and "Traceback" not in text, text
    assert "error: the loss is not finite" in result.stderr and "step 2" in result.stderr, text
    # no NaN reaches a JSON file, and the run says it failed
    progress = strict_json((run_dir / "progress.json").read_text())
    assert progress["state"] == "failed", progress
    evs = events(run_dir)
    end = [e for e in evs if e["event"] == "run_end"]
    assert len(end) == 1 and end[0]["status"] == "failed" and end[0]["step"] == 2, end
    for manifest in (run_dir / "checkpoints").glob("*.json"):
        strict_json(manifest.read_text())
    # the last good checkpoint stands, and nothing was saved after the loss went bad
    path, good = CheckpointManager(run_dir / "checkpoints").latest_valid()
    assert (path.name, good.step) == ("step-00000001.pt", 1)
    assert all(torch.isfinite(t).all() for t in torch.load(path, weights_only=True)["model"].values())
    status = subprocess.run([PYTHON, "-m", "magvit", "status", str(run_dir)], cwd=ROOT, capture_output=True,
                            text=True, env=child_env(), timeout=60)  # fmt: skip
    assert status.returncode == 13, status.stdout + status.stderr


# --- hostile configuration and run files ---------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    """A YAML list under a known key whose aliases expand to 9**levels nodes (387 million for 9)."""
    rows = ["&l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    rows += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "tokenizer:\n  channel_multipliers: [" + ", ".join(rows) + "]\n"


@pytest.mark.parametrize("kind", ["deep", "alias bomb", "fifo"])
def test_a_hostile_config_file_is_a_quick_clear_exit_2(tmp_path: Path, tiny_data: Path, kind: str) -> None:
    config = tmp_path / "config.yaml"
    if kind == "deep":
        config.write_text("train:\n  lr: " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "alias bomb":
        config.write_text(_alias_bomb())
    else:
        os.mkfifo(config)  # nothing ever writes to it: a plain read would block for ever
    result = train(tiny_data, tmp_path / "run", "--epochs", "1", config=config)  # times out after 300 s
    assert_clear_exit_2(result, str(config))
    assert len(result.stderr) < 2000, result.stderr[:2000]  # never the expanded value
    assert not (tmp_path / "run").exists()  # refused before the run directory is made


def test_a_fifo_in_place_of_a_manifest_does_not_hang_resume(tmp_path: Path, tiny_data: Path,
                                                            finished_run: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    os.mkfifo(run_dir / "checkpoints" / "step-00000099.json")
    (run_dir / "checkpoints" / "step-00000099.pt").write_bytes(b"not a checkpoint")
    result = train(tiny_data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = [e for e in events(run_dir) if e["event"] == "checkpoint_skipped"]
    assert any(e["file"] == "step-00000099.pt" and "regular file" in e["reason"] for e in skipped), skipped
