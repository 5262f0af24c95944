from datetime import timedelta

import pytest

from chronos.config import Config, load_config, parse_duration


@pytest.mark.parametrize("raw, expected", [
    (90, timedelta(seconds=90)),
    (0.25, timedelta(milliseconds=250)),
    ("90s", timedelta(seconds=90)),
    ("1m30s", timedelta(seconds=90)),
    ("200ms", timedelta(milliseconds=200)),
    ("2h", timedelta(hours=2)),
    ("45", timedelta(seconds=45)),
])
def test_parse_duration(raw, expected):
    assert parse_duration(raw) == expected


@pytest.mark.parametrize("raw", ["", "soon", "10 parsecs", "5x", "s5", True])
def test_parse_duration_rejects_garbage(raw):
    with pytest.raises(ValueError):
        parse_duration(raw)


def test_base_config_reads_durations_from_toml(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('[train]\nsteps = 12\nstep_delay = 0.5\n\n[checkpoint]\nevery = "2m"\n')
    cfg = load_config(cfg_file)
    assert cfg.steps == 12
    assert cfg.step_delay == timedelta(milliseconds=500)
    assert cfg.checkpoint_every == timedelta(minutes=2)
    assert cfg.status_every == Config().status_every


def test_unknown_key_is_an_error(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text("[checkpoint]\nevry = 60\n")
    with pytest.raises(ValueError, match="unknown setting"):
        load_config(cfg_file)


def test_cli_overrides_skip_none():
    cfg = Config().with_overrides(steps=5, checkpoint_every=None)
    assert cfg.steps == 5
    assert cfg.checkpoint_every == timedelta(seconds=90)
