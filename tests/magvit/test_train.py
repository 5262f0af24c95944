"""Run configuration, the `magvit train` command line, and what a training run writes."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import torch
import yaml
from click.testing import CliRunner

from magvit.cli import main
from magvit.config import ConfigError, RunConfig, TrainConfig, load_run_config
from magvit.interval import Interval
from magvit.runstate import epoch_order
from magvit.train import train

try:
    from train_helpers import TINY, make_data
except ImportError:  # tests/magvit became a package
    from .train_helpers import TINY, make_data  # type: ignore[no-redef]


def write_yaml(path, obj):
    path.write_text(yaml.safe_dump(obj))
    return path


# --- configuration ------------------------------------------------------------------------


def test_tiny_config_loads_both_sections():
    config = load_run_config(TINY)
    assert config.train.batch_size == 4 and config.train.num_threads == 1
    assert config.tokenizer.channel_multipliers == (1, 2)
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("path", sorted(TINY.parent.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    config = load_run_config(path)
    assert RunConfig.from_dict(config.to_dict(), source=str(path)) == config


def test_defaults_checkpoint_every_two_minutes_wall_clock():
    assert TrainConfig().checkpoint_every == Interval("time", 120.0)
    assert TrainConfig().keep_last == 3
    assert TrainConfig().heartbeat_interval_s <= 30


def test_checkpoint_every_as_a_number_means_seconds(tmp_path):
    config = load_run_config(write_yaml(tmp_path / "c.yaml", {"train": {"checkpoint_every": 120}}))
    assert config.train.checkpoint_every == Interval("time", 120.0)
    assert TrainConfig(checkpoint_every=90.5).checkpoint_every == Interval("time", 90.5)
    with pytest.raises(ConfigError, match="train.checkpoint_every"):
        TrainConfig(checkpoint_every=0)


def test_the_config_holds_the_parsed_interval_and_writes_it_back_as_given(tmp_path):
    config = load_run_config(write_yaml(tmp_path / "c.yaml", {"train": {"checkpoint_every": "3epochs"}}))
    assert config.train.checkpoint_every == Interval("epochs", 3)
    assert config.to_dict()["train"]["checkpoint_every"] == "3epochs"
    assert RunConfig.from_dict(config.to_dict()) == config
    assert RunConfig(train=TrainConfig(checkpoint_every="2m")).to_dict()["train"]["checkpoint_every"] == "2m"


@pytest.mark.parametrize("value, reason", [
    ("1.5steps", "whole number"),
    ("1" * 400 + "steps", "at most 9 digits"),
    ("1" * 400 + "s", "at most 9 digits"),
    ("1.5.5s", "not valid"),
    (float("inf"), "finite"),
    (True, "not valid"),
])  # fmt: skip
def test_a_bad_interval_is_refused_when_the_config_is_made(value, reason):
    with pytest.raises(ConfigError, match="train.checkpoint_every") as caught:
        TrainConfig(checkpoint_every=value)
    assert reason in str(caught.value)


def test_unknown_key_is_rejected_naming_file_and_key(tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"train": {"learning_rate": 0.1}})
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert str(path) in str(info.value) and "train.learning_rate" in str(info.value)


def test_unknown_tokenizer_key_and_section_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="tokenizer"):
        load_run_config(write_yaml(tmp_path / "a.yaml", {"tokenizer": {"channels": 3}}))
    with pytest.raises(ConfigError, match="'optimizer'"):
        load_run_config(write_yaml(tmp_path / "b.yaml", {"optimizer": {}}))


@pytest.mark.parametrize("key, value", [
    ("batch_size", 0), ("epochs", 1.5), ("lr", -1), ("heartbeat_interval_s", 31), ("val_fraction", 1.0),
    ("checkpoint_every", "5 minutes"), ("schedule", "linear"), ("keep_last", 1), ("flip_prob", 2),
])  # fmt: skip
def test_bad_values_are_rejected_naming_the_field(tmp_path, key, value):
    path = write_yaml(tmp_path / "c.yaml", {"train": {key: value}})
    with pytest.raises(ConfigError, match=f"train.{key}"):
        load_run_config(path)


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 3\n  lr: [1,\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:\d+"):
        load_run_config(path)


def test_trajectory_differences_ignore_execution_keys():
    config = RunConfig(train=TrainConfig(checkpoint_every="90s", log_every=3))
    other = RunConfig(train=TrainConfig(lr=1e-3)).to_dict()
    assert config.trajectory_differences(other) == ["train.lr"]


def test_epoch_order_is_a_pure_function_of_seed_and_epoch():
    assert torch.equal(epoch_order(0, 3, 50), epoch_order(0, 3, 50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(0, 4, 50))
    assert not torch.equal(epoch_order(0, 3, 50), epoch_order(1, 3, 50))
    assert sorted(epoch_order(0, 3, 50).tolist()) == list(range(50))


# --- command line ---------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(main, ["train", *map(str, args)])


def test_cli_precedence_defaults_config_file_command_line(tmp_path, data):
    run_dir = tmp_path / "run"
    result = invoke("--data", data, "--run-dir", run_dir, "--config", TINY, "--epochs", 1,
                    "--checkpoint-every", "2steps")  # fmt: skip
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert written["train"]["epochs"] == 1 and written["train"]["checkpoint_every"] == "2steps"  # command line
    assert written["train"]["batch_size"] == 4  # config file
    assert written["train"]["grad_clip"] == TrainConfig().grad_clip  # default
    assert "epoch 1/1 train loss" in result.output and "val PSNR" in result.output and "codebook usage" in result.output


@pytest.mark.parametrize("args, message", [
    (("--checkpoint-every", "soon"), "train.checkpoint_every"),
    (("--checkpoint-every", "1.5steps"), "whole number"),
    (("--checkpoint-every", "1" * 400), "at most 9 digits"),
    (("--time-limit", "3steps"), "--time-limit"),
    (("--time-limit", "later"), "--time-limit"),
])  # fmt: skip
def test_cli_bad_options_exit_2_naming_the_option(tmp_path, data, args, message):
    result = invoke("--data", data, "--run-dir", tmp_path / "run", "--config", TINY, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_resume_from_a_missing_file_exits_2(tmp_path, data):
    result = invoke("--data", data, "--run-dir", tmp_path / "run", "--config", TINY, "--resume", tmp_path / "x.pt")
    assert result.exit_code == 2
    assert "x.pt" in result.output and "no such checkpoint" in result.output


def test_cli_missing_data_file_exits_2(tmp_path):
    result = invoke("--data", tmp_path / "none.npz", "--run-dir", tmp_path / "run", "--config", TINY)
    assert result.exit_code == 2
    assert "none.npz" in result.output
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_cli_bad_config_file_exits_2(tmp_path, data):
    path = write_yaml(tmp_path / "c.yaml", {"train": {"epochz": 3}})
    result = invoke("--data", data, "--run-dir", tmp_path / "run", "--config", path)
    assert result.exit_code == 2
    assert "train.epochz" in result.output and "c.yaml" in result.output


# --- what a run writes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory, data):
    """One in-process run of the tiny config: 2 epochs, a checkpoint every 3 steps."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    lines = []
    config = load_run_config(TINY).override(epochs=2, checkpoint_every="3steps")
    result = train(data, run_dir, config, echo=lines.append)
    return run_dir, result, lines, config


def test_run_finishes_and_restores_the_callers_torch_settings(finished):
    _, result, _, _ = finished
    assert (result.status, result.exit_code, result.step, result.epoch) == ("finished", 0, 10, 2)
    assert not torch.are_deterministic_algorithms_enabled()


def test_run_writes_the_run_directory(finished):
    run_dir, _, lines, config = finished
    assert yaml.safe_load((run_dir / "config.yaml").read_text()) == config.to_dict()
    progress = json.loads((run_dir / "progress.json").read_text())
    assert progress["state"] == "finished" and progress["step"] == 10 and progress["percent"] == 100.0
    assert "Step 10/10" in (run_dir / "PROGRESS.txt").read_text()
    log_lines = (run_dir / "train.log").read_text().splitlines()
    assert len(log_lines) == 10  # log_every 1
    assert "epoch=2/2 batch=5/5 step=10/10" in log_lines[-1]
    names = [e["event"] for e in map(json.loads, (run_dir / "events.jsonl").read_text().splitlines())]
    assert names[0] == "run_start" and names[-1] == "run_end"
    assert names.count("best_updated") >= 1 and "resumed_from" not in names
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert {p.name for p in (run_dir / "checkpoints").glob("*.pt")} >= {"best.pt", "final.pt", "step-00000009.pt"}


def test_checkpoint_holds_everything_needed_to_continue(finished, data):
    run_dir, _, _, config = finished
    state = torch.load(run_dir / "checkpoints" / "step-00000009.pt", map_location="cpu", weights_only=True)
    assert state["format"] == "magvit-checkpoint/1" and state["stage"] == "tokenizer"
    assert (state["step"], state["epoch"], state["batch_in_epoch"], state["samples_seen"]) == (9, 1, 4, 18 + 16)
    assert set(state) >= {"model", "optimizer", "scheduler", "rng", "best_val_recon", "history", "config",
                          "data_fingerprint", "code_version", "train_elapsed_s"}  # fmt: skip
    for rng in state["rng"].values():
        assert rng.dtype == torch.uint8
    assert state["config"] == config.to_dict()
    assert state["data_fingerprint"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert state["code_version"] is None or len(state["code_version"]) == 40
    assert len(state["history"]["step_loss"]) == 9 and len(state["history"]["epochs"]) == 1
    assert state["scheduler"]["last_epoch"] == 9


# --- heartbeat during a real run ---------------------------------------------------------------


@pytest.mark.slow  # a real trainer process
def test_heartbeat_ticks_while_one_long_batch_runs(tmp_path):
    """One batch of 120 clips takes seconds; the heartbeat (every 1 s) keeps progress.json fresh meanwhile."""
    try:
        from train_helpers import Trainer, events, of_kind
    except ImportError:
        from .train_helpers import Trainer, events, of_kind  # type: ignore[no-redef]

    data = make_data(tmp_path / "big.npz", n=160, frames=16, size=32)
    config = yaml.safe_load(TINY.read_text())
    config["train"].update(batch_size=128, epochs=1, heartbeat_interval_s=1.0)
    config_path = write_yaml(tmp_path / "big.yaml", config)
    run_dir = tmp_path / "run"
    trainer = Trainer(data, run_dir, config=config_path)
    progress = run_dir / "progress.json"
    seen = set()
    while trainer.proc.poll() is None:
        time.sleep(0.05)
        try:
            snapshot = json.loads(progress.read_text())
        except (OSError, ValueError):
            continue
        if snapshot["step"] == 0:
            seen.add(snapshot["heartbeat_time"])
    assert trainer.wait() == 0, trainer.output()
    # progress.json was rewritten by the heartbeat at least twice before the first step ended
    assert len(seen) >= 3, seen

    evs = events(run_dir)
    start = of_kind(evs, "run_start")[0]["ts"]
    first_step_done = min(e["ts"] for e in of_kind(evs, "checkpoint_saved"))
    beats = [e["ts"] for e in of_kind(evs, "heartbeat") if start <= e["ts"] <= first_step_done]
    assert len(beats) >= 2, "no heartbeat event while the batch ran"
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert all(gap <= 2.0 for gap in gaps), gaps
    assert all(e["heartbeat_interval_s"] == 1.0 for e in of_kind(evs, "heartbeat"))
