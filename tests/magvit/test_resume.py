"""Resume, preemption and refusals, through real `magvit train` subprocesses and real signals."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import time

import pytest
import yaml

try:
    from train_helpers import (
        LONG, TINY, Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, logged_steps,
        make_data, manifests, of_kind, run_train,
    )  # fmt: skip
except ImportError:  # tests/magvit became a package
    from .train_helpers import (  # type: ignore[no-redef]
        LONG, TINY, Trainer, assert_same_training, batches_per_epoch, events, final_checkpoint, logged_steps,
        make_data, manifests, of_kind, run_train,
    )  # fmt: skip

# real trainer processes, seconds each: CI runs them; the developer loop (-m "not slow") leaves them out
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data):
    """An uninterrupted run of the tiny config (long enough to interrupt), saving once an epoch."""
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "1epoch")
    assert result.returncode == 0, result.stdout + result.stderr
    return final_checkpoint(run_dir)


def kill_after_manifest(data, run_dir, step, *extra):
    trainer = Trainer(data, run_dir, *LONG, "--checkpoint-every", "1steps", *extra)
    trainer.wait_for_manifest(step)
    assert trainer.kill() == -signal.SIGKILL
    return trainer


def resume_and_finish(data, run_dir, *extra):
    # the interval is not part of the trajectory: finishing with fewer saves is quicker
    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "10steps", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("where", ["mid-epoch", "epoch-end"])
def test_resume_is_bit_exact(tmp_path, data, reference, where):
    _, bpe = batches_per_epoch()
    step = bpe + 2 if where == "mid-epoch" else bpe
    run_dir = tmp_path / "run"
    kill_after_manifest(data, run_dir, step)
    # the process may have saved a few more steps before the kill landed: delete them so
    # that the resume point is exactly the one under test
    for manifest in manifests(run_dir):
        if manifest["step"] > step:
            (run_dir / "checkpoints" / manifest["file"]).with_suffix(".json").unlink()
    result = resume_and_finish(data, run_dir)
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    expected = (step, 1, 2) if where == "mid-epoch" else (step, 1, 0)
    assert (resumed["step"], resumed["epoch"], resumed["batch_in_epoch"]) == expected
    assert logged_steps(result.stdout)[0] == step + 1
    assert_same_training(final_checkpoint(run_dir), reference)


def test_resume_after_kill_at_a_random_moment(tmp_path, data, reference):
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, *LONG, "--checkpoint-every", "1steps")
    trainer.wait_for_manifest(1)
    time.sleep(random.uniform(0.0, 1.5))  # a random moment: before, during or after a save
    trainer.kill()
    resume_and_finish(data, run_dir)
    assert_same_training(final_checkpoint(run_dir), reference)


def test_corrupt_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, data, reference):
    run_dir = tmp_path / "run"
    kill_after_manifest(data, run_dir, 4)
    periodic = manifests(run_dir, "periodic")
    newest, previous = periodic[-1], periodic[-2]
    pt = run_dir / "checkpoints" / newest["file"]
    with open(pt, "r+b") as handle:
        handle.truncate(pt.stat().st_size // 2)
    # the next older valid one; best.pt (a complete state too) when it is at least as new
    expected = max([previous["step"]] + [m["step"] for m in manifests(run_dir, "best")])
    resume_and_finish(data, run_dir)
    evs = events(run_dir)
    assert [e["file"] for e in of_kind(evs, "checkpoint_skipped")] == [newest["file"]]
    assert of_kind(evs, "resumed_from")[0]["step"] == expected
    assert_same_training(final_checkpoint(run_dir), reference)


def test_resume_from_a_given_path(tmp_path, data, reference):
    run_dir = tmp_path / "run"
    kill_after_manifest(data, run_dir, 3)
    chosen = manifests(run_dir, "periodic")[0]
    path = run_dir / "checkpoints" / chosen["file"]
    result = resume_and_finish(data, run_dir, "--resume", str(path))
    assert f"(step {chosen['step']}, saved " in result.stdout
    assert of_kind(events(run_dir), "resumed_from")[0]["step"] == chosen["step"]
    assert_same_training(final_checkpoint(run_dir), reference)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_preemption_saves_and_exits_with_the_signal_code(tmp_path, data, reference, signum, code):
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, *LONG, "--checkpoint-every", "1epoch")
    trainer.wait_for(lambda: bool(logged_steps(trainer.output())), "the first batch line")
    trainer.signal(signum)
    assert trainer.wait() == code, trainer.output()

    evs = events(run_dir)
    (preempted,) = of_kind(evs, "preempted")
    assert preempted["signal"] == signal.Signals(signum).name
    assert of_kind(evs, "run_end")[-1]["status"] == "preempted"
    (saved,) = manifests(run_dir, "preempt")
    assert saved["step"] == preempted["step"] >= 1
    progress = json.loads((run_dir / "progress.json").read_text())
    assert progress["state"] == "preempted"

    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "1epoch")
    assert result.returncode == 0, result.stdout + result.stderr
    assert of_kind(events(run_dir), "resumed_from")[0]["step"] == saved["step"]
    assert_same_training(final_checkpoint(run_dir), reference)


def test_second_signal_exits_at_once(tmp_path, data):
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, "--checkpoint-every", "1epoch", "--epochs", "50")
    trainer.wait_for(lambda: bool(logged_steps(trainer.output())), "the first batch line")
    trainer.signal(signal.SIGTERM)
    trainer.signal(signal.SIGINT)
    # both arrive before the loop reaches a batch boundary; Python runs the handlers in signal
    # number order, so the second one handled (and the exit code) may be either
    assert trainer.wait() in (130, 143), trainer.output()
    evs = events(run_dir)
    assert not of_kind(evs, "run_end"), "a second signal must not wait for the orderly stop"
    assert "exiting at once" in trainer.output()


def test_time_limit_stops_like_a_preemption_and_the_same_command_continues(tmp_path, data, reference):
    run_dir = tmp_path / "run"
    first = run_train(data, run_dir, *LONG, "--checkpoint-every", "1epoch", "--time-limit", "0.5s")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "run the same command again to continue" in first.stdout
    evs = events(run_dir)
    assert of_kind(evs, "preempted")[0]["signal"] == "time-limit"
    assert of_kind(evs, "run_end")[-1]["status"] == "preempted"
    # sessions of a long time limit finish the run
    for _ in range(10):
        again = run_train(data, run_dir, *LONG, "--checkpoint-every", "1epoch", "--time-limit", "60s")
        assert again.returncode == 0, again.stdout + again.stderr
        if of_kind(events(run_dir), "run_end")[-1]["status"] == "finished":
            break
    assert_same_training(final_checkpoint(run_dir), reference)


def fingerprint_tree(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture()
def finished_run(tmp_path, data):
    run_dir = tmp_path / "run"
    result = run_train(data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir


def test_resume_never_refuses_an_existing_run(finished_run, data):
    before = fingerprint_tree(finished_run / "checkpoints")
    result = run_train(data, finished_run, "--epochs", "1", "--resume", "never")
    assert result.returncode == 2
    assert "already holds checkpoints" in result.stderr and "new --run-dir" in result.stderr
    assert fingerprint_tree(finished_run / "checkpoints") == before


def test_rerunning_a_finished_run_does_nothing(finished_run, data):
    before = fingerprint_tree(finished_run / "checkpoints")
    result = run_train(data, finished_run, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stderr
    assert "already finished" in result.stdout
    assert not logged_steps(result.stdout)
    assert fingerprint_tree(finished_run / "checkpoints") == before
    # the progress file shows where the run stands, not a session that never moved
    final = json.loads((finished_run / "checkpoints" / "final.json").read_text())
    progress = json.loads((finished_run / "progress.json").read_text())
    assert (progress["state"], progress["step"], progress["percent"]) == ("finished", final["step"], 100.0), progress


def test_config_mismatch_is_refused_naming_the_keys(finished_run, data, tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["train"]["lr"] = config["train"]["lr"] * 2
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    before = fingerprint_tree(finished_run / "checkpoints")
    result = run_train(data, finished_run, "--epochs", "1", config=changed)
    assert result.returncode == 2
    assert "train.lr" in result.stderr and "configuration differs" in result.stderr
    assert fingerprint_tree(finished_run / "checkpoints") == before
    # more epochs change the schedule too
    result = run_train(data, finished_run, "--epochs", "2")
    assert result.returncode == 2 and "train.epochs" in result.stderr


def test_dataset_mismatch_is_refused(finished_run, tmp_path):
    other = make_data(tmp_path / "other.npz", seed=1)
    before = fingerprint_tree(finished_run / "checkpoints")
    result = run_train(other, finished_run, "--epochs", "1")
    assert result.returncode == 2
    assert "dataset differs" in result.stderr
    assert fingerprint_tree(finished_run / "checkpoints") == before


def test_killed_after_the_first_best_save_resumes_from_best(tmp_path, data, reference):
    """No periodic checkpoint yet (1 h interval), but best.pt holds the end of epoch 1."""
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, *LONG, "--checkpoint-every", "1h")
    trainer.wait_for((run_dir / "checkpoints" / "best.json").exists, "best.json")
    assert trainer.kill() == -signal.SIGKILL
    assert not manifests(run_dir, "periodic")
    best = json.loads((run_dir / "checkpoints" / "best.json").read_text())
    result = run_train(data, run_dir, *LONG, "--checkpoint-every", "1h")
    assert result.returncode == 0, result.stdout + result.stderr
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    assert (resumed["file"], resumed["step"]) == ("best.pt", best["step"])
    assert_same_training(final_checkpoint(run_dir), reference)


def test_only_invalid_checkpoints_refuse_to_start_over(tmp_path, data):
    run_dir = tmp_path / "run"
    result = run_train(data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 0, result.stderr
    for pt in (run_dir / "checkpoints").glob("*.pt"):
        pt.write_bytes(b"corrupt")
    before = fingerprint_tree(run_dir / "checkpoints")
    result = run_train(data, run_dir, "--epochs", "1", "--checkpoint-every", "2steps")
    assert result.returncode == 2
    assert "none is valid" in result.stderr
    assert fingerprint_tree(run_dir / "checkpoints") == before
