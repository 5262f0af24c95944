import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SRC = Path(__file__).resolve().parents[1] / "src"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "run"


@pytest.fixture
def write_config(tmp_path, run_dir):
    """A YAML config for a short run in tmp_path; keyword arguments replace settings."""
    def write(**settings):
        data = {"run_dir": str(run_dir), "epochs": 1, "n_samples": 512, "hidden": 16,
                "heartbeat_seconds": 0.5, "save_every_minutes": 5}
        data.update(settings)
        path = tmp_path / "run.yaml"
        path.write_text(yaml.safe_dump(data))
        return path
    return write


@pytest.fixture
def train_command():
    def command(config_path):
        return [sys.executable, "-m", "trainerpkg", "--config", str(config_path)]
    return command


@pytest.fixture
def run_training(train_command):
    """Run `python -m trainerpkg --config ...` to the end."""
    def run(config_path, timeout=120):
        return subprocess.run(train_command(config_path), env=_env(), capture_output=True,
                              text=True, timeout=timeout)
    return run


@pytest.fixture
def launch_training(train_command):
    """Start `python -m trainerpkg --config ...` without waiting for it."""
    started = []

    def launch(config_path):
        proc = subprocess.Popen(train_command(config_path), env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(proc)
        return proc

    yield launch
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
