"""The tests requirements.md section 4 names, through the real `magvit train` command."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import time

import pytest

try:
    from train_helpers import (
        LONG, Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, load, logged_steps,
        make_data, manifests, of_kind, run_train,
    )  # fmt: skip
except ImportError:  # tests/magvit became a package
    from .train_helpers import (  # type: ignore[no-redef]
        LONG, Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, load, logged_steps,
        make_data, manifests, of_kind, run_train,
    )  # fmt: skip


# best.pt holds a complete state too: the trainer resumes from it when it is the newest
RESUMABLE = ("periodic", "preempt", "best")


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data):
    """An uninterrupted run of the tiny config (long enough to interrupt), saving once an epoch."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "1epoch")
    assert result.returncode == 0, result.stdout + result.stderr
    return final_checkpoint(run_dir)


def check_manifest_matches_checkpoint(run_dir, manifest, n_train, bpe, batch_size, epochs):
    """A manifest's position fields agree with each other and with its .pt file."""
    pt = run_dir / "checkpoints" / manifest["file"]
    assert manifest["size_bytes"] == pt.stat().st_size
    assert manifest["sha256"] == hashlib.sha256(pt.read_bytes()).hexdigest()
    assert manifest["step"] == manifest["epoch"] * bpe + manifest["batch_in_epoch"]
    assert 0 <= manifest["batch_in_epoch"] < bpe
    assert manifest["epochs"] == epochs
    state = load(pt)
    assert (state["step"], state["epoch"], state["batch_in_epoch"]) == (
        manifest["step"], manifest["epoch"], manifest["batch_in_epoch"])
    # samples seen: whole epochs plus the batches done in the current one
    assert state["samples_seen"] == manifest["epoch"] * n_train + min(manifest["batch_in_epoch"] * batch_size, n_train)
    assert len(state["history"]["step_loss"]) == manifest["step"]


def test_checkpoints_created_at_intervals(tmp_path, data):
    """A wall-clock interval of 1 s: saves about a second apart, each with a correct manifest."""
    run_dir = tmp_path / "run"
    # many epochs, stopped by the time limit: the run lasts about 8 s of training whatever the
    # machine (5 s gave only two periodic saves on a loaded machine, where a batch can take a second)
    result = run_train(data, run_dir, "--epochs", "1000", "--checkpoint-every", "1s", "--time-limit", "8s")
    assert result.returncode == 0, result.stdout + result.stderr

    evs = events(run_dir)
    saves = [e for e in of_kind(evs, "checkpoint_saved") if e["kind"] == "periodic"]
    assert len(saves) >= 3, saves
    gaps = [b["ts"] - a["ts"] for a, b in zip(saves, saves[1:])]
    # never sooner than the interval (less the jitter of save durations), never much later:
    # a save is due at the first batch boundary after the interval
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert all(gap <= 2.5 for gap in gaps), gaps
    start = of_kind(evs, "run_start")[0]["ts"]
    assert saves[0]["ts"] - start <= 2.5

    n_train, bpe = batches_per_epoch()
    # keep_last 3 of the tiny config: older periodic ones were purged after newer saves; the
    # time limit added a preempt checkpoint (which replaces a periodic one saved at the same step)
    assert len(manifests(run_dir, "periodic")) <= 3
    kept = [m for m in manifests(run_dir) if m["kind"] in ("periodic", "preempt")]
    assert {e["step"] for e in saves[-3:]} <= {m["step"] for m in kept}
    for manifest in kept:
        assert manifest["interval"] == {"kind": "time", "value": 1.0}
        assert manifest["stage"] == "tokenizer"
        check_manifest_matches_checkpoint(run_dir, manifest, n_train, bpe, batch_size=4, epochs=1000)
    for event in saves:
        assert event["step"] == event["epoch"] * bpe + event["batch_in_epoch"]


def test_checkpoints_created_at_step_intervals(tmp_path, data):
    """A step interval: a save exactly every 3 steps, mid-epoch and at epoch ends alike."""
    run_dir = tmp_path / "run"
    result = run_train(data, run_dir, "--epochs", "3", "--checkpoint-every", "3steps")
    assert result.returncode == 0, result.stdout + result.stderr
    n_train, bpe = batches_per_epoch()
    total = 3 * bpe
    saves = [e for e in of_kind(events(run_dir), "checkpoint_saved") if e["kind"] == "periodic"]
    assert [e["step"] for e in saves] == list(range(3, total + 1, 3))
    for manifest in manifests(run_dir, "periodic"):
        check_manifest_matches_checkpoint(run_dir, manifest, n_train, bpe, batch_size=4, epochs=3)
    final = json.loads((run_dir / "checkpoints" / "final.json").read_text())
    assert (final["step"], final["epoch"], final["batch_in_epoch"]) == (total, 3, 0)


def test_can_resume_from_last_checkpoint(tmp_path, data, reference):
    """SIGKILL mid-run, the same command again: it resumes where it saved and ends bit-identical."""
    run_dir = tmp_path / "run"
    _, bpe = batches_per_epoch()
    kill_after = bpe + 2  # mid-epoch of the second epoch
    trainer = Trainer(data, run_dir, *LONG, "--checkpoint-every", "2steps")
    trainer.wait_for_manifest(kill_after if kill_after % 2 == 0 else kill_after + 1)
    assert trainer.kill() == -signal.SIGKILL
    killed_output = trainer.output()

    saved = max(m["step"] for m in manifests(run_dir) if m["kind"] in RESUMABLE)
    reached = max(logged_steps(killed_output))
    assert reached - saved <= 2, "more than one interval of work lost"
    assert not of_kind(events(run_dir), "run_end")

    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stdout + result.stderr
    epoch = saved // bpe
    assert f"Found checkpoint at epoch {epoch} (step {saved}, saved " in result.stdout
    resumed = of_kind(events(run_dir), "resumed_from")
    assert [(r["step"], r["epoch"], r["batch_in_epoch"]) for r in resumed] == [(saved, epoch, saved % bpe)]
    # the resumed session's first batch is the step after the checkpoint: nothing skipped, nothing repeated
    assert logged_steps(result.stdout)[0] == saved + 1
    assert_same_training(final_checkpoint(run_dir), reference)


@pytest.mark.slow
def test_medium_scale_training_with_checkpoints(tmp_path):
    """A longer run: time-based saves, progress files seen changing while it runs, kill, resume."""
    # about 1000 steps: 20-60 s a session on a shared 2-core machine
    data = make_data(tmp_path / "medium.npz", n=256, frames=8, size=16)
    common = ("--epochs", "20", "--checkpoint-every", "2s")

    reference_dir = tmp_path / "reference"
    result = run_train(data, reference_dir, *common, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr

    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, *common)
    progress_txt, progress_json = run_dir / "PROGRESS.txt", run_dir / "progress.json"
    trainer.wait_for(progress_txt.exists, "PROGRESS.txt")
    seen_txt, seen_updates = set(), set()
    while len(manifests(run_dir, "periodic")) < 3:
        assert trainer.proc.poll() is None, trainer.output()
        seen_txt.add(progress_txt.read_text())
        try:
            seen_updates.add(json.loads(progress_json.read_text())["updated_time"])
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    assert len(seen_txt) >= 3, "PROGRESS.txt did not change while training ran"
    assert len(seen_updates) >= 3, "progress.json was not rewritten while training ran"
    state = json.loads(progress_json.read_text())
    assert state["state"] == "running" and state["pid"] == trainer.proc.pid
    assert "Step " in progress_txt.read_text() and "Epoch " in progress_txt.read_text()

    time.sleep(random.uniform(0.0, 2.0))  # a random moment, not a save boundary
    assert trainer.kill() == -signal.SIGKILL
    saves = [e for e in of_kind(events(run_dir), "checkpoint_saved") if e["kind"] == "periodic"]
    gaps = [b["ts"] - a["ts"] for a, b in zip(saves, saves[1:])]
    assert gaps and all(1.9 <= gap <= 5.0 for gap in gaps), gaps
    saved = max(m["step"] for m in manifests(run_dir) if m["kind"] in RESUMABLE)

    result = run_train(data, run_dir, *common, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Found checkpoint at epoch" in result.stdout
    assert of_kind(events(run_dir), "resumed_from")[0]["step"] == saved
    assert json.loads(progress_json.read_text())["state"] == "finished"
    assert_same_training(final_checkpoint(run_dir), final_checkpoint(reference_dir))
