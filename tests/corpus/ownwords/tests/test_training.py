import json
import os
import time
from dataclasses import replace
from pathlib import Path

from kestrel.loop import train
from kestrel.state import list_states


def test_state_is_persisted_on_the_wall_clock(tiny_config):
    started = time.time()
    result = train(tiny_config)

    states = list_states(tiny_config.out_dir)
    # periodic files plus the end-of-training one
    assert len(states) >= 3
    steps = [int(p.stem.split("-")[1]) for p in states]
    assert steps == sorted(set(steps)) and steps[-1] == tiny_config.max_steps
    mtimes = [os.path.getmtime(p) for p in states]
    assert all(started <= t for t in mtimes)
    periodic_gaps = [b - a for a, b in zip(mtimes, mtimes[1:-1])]
    assert all(gap >= tiny_config.persist_every_s * 0.8 for gap in periodic_gaps)
    assert result.state_files[-1] == states[-1].name


def test_status_file_tracks_the_run(tiny_config):
    train(tiny_config)

    status = json.loads((Path(tiny_config.out_dir) / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["step"] == tiny_config.max_steps
    assert status["max_steps"] == tiny_config.max_steps
    assert status["loss"] > 0
    assert status["touched"]


def test_from_path_continues_the_step_count(tiny_config):
    first = train(replace(tiny_config, max_steps=24))
    state = Path(tiny_config.out_dir) / first.state_files[-1]

    second = train(replace(tiny_config, max_steps=40), resume_from=state)

    assert second.first_step == 24
    assert second.last_step == 40
    log = (Path(tiny_config.out_dir) / "train.log").read_text()
    assert f"continuing from {state} at step 24" in log


def test_continue_picks_the_newest_state(tiny_config):
    train(replace(tiny_config, max_steps=20))

    resumed = train(replace(tiny_config, max_steps=30), continue_run=True)

    assert resumed.first_step == 20
    assert resumed.last_step == 30


def test_without_continue_a_new_run_starts_at_zero(tiny_config):
    train(replace(tiny_config, max_steps=12))

    again = train(replace(tiny_config, max_steps=12))

    assert again.first_step == 0
