from pathlib import Path

from svctrain import config


def test_defaults_when_nothing_is_set(tmp_path):
    s = config.load(environ={}, dotenv=tmp_path / "missing.env")
    assert s.ckpt_interval == 200
    assert s.watchdog_sec == 90.0
    assert s.state_file == Path("runs/dev/state.json")


def test_environment_wins_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# local\nTRAINER_CKPT_INTERVAL=50\nTRAINER_LR='0.01'\n")
    s = config.load(environ={"TRAINER_CKPT_INTERVAL": "120"}, dotenv=dotenv)
    assert s.ckpt_interval == 120
    assert s.lr == 0.01


def test_watchdog_usec_from_systemd():
    s = config.load(environ={"WATCHDOG_USEC": "30000000"}, dotenv="/nonexistent")
    assert s.watchdog_sec == 30.0
