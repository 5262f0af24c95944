import pytest

from train import Trainer


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "run"


@pytest.fixture
def trainer(run_dir):
    return Trainer(run_dir=str(run_dir), seed=1)


def log_lines(run_dir):
    return (run_dir / "train.log").read_text().splitlines()
