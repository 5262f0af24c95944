import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """\
[data]
path = "{data}"
batch_size = 32
io_delay_s = {io_delay_s}

[model]
hidden = 16
depth = 1

[optim]
lr = 1e-3
weight_decay = 0.0

[train]
epochs = {epochs}
out_dir = "{out_dir}"
save_every_s = {save_every_s}
keep_last = {keep_last}
heartbeat_every_s = {heartbeat_every_s}
seed = 3
"""


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.npz"
    subprocess.run([sys.executable, "scripts/make_data.py", "--out", str(path), "--n", "320"],
                   cwd=ROOT, check=True, capture_output=True)
    return path


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "work"


@pytest.fixture
def make_config(tmp_path, dataset, out_dir):
    """Write a TOML config for a short run (10 batches an epoch); keywords override settings."""
    def write(**overrides):
        values = dict(data=dataset, out_dir=out_dir, io_delay_s=0.0, epochs=1, save_every_s=600,
                      keep_last=3, heartbeat_every_s=20)
        values.update(overrides)
        path = tmp_path / "run.toml"
        path.write_text(CONFIG.format(**values))
        return path
    return write


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


@pytest.fixture
def train():
    """`python train.py --config <cfg> [flags]` to completion; stdout is what make tees."""
    def run(config, *flags, timeout=180):
        return subprocess.run([sys.executable, "train.py", "--config", str(config), *flags],
                              cwd=ROOT, env=_env(), capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def launch(tmp_path):
    started = []

    def start(config, *flags):
        log = open(tmp_path / f"stdout-{len(started)}.txt", "w")
        proc = subprocess.Popen([sys.executable, "train.py", "--config", str(config), *flags],
                                cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.DEVNULL)
        proc.stdout_path = Path(log.name)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
