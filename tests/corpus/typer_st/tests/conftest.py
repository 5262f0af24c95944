import pytest

TINY = """
name = "tiny"
run_dir = "{run_dir}"
seed = 1

[data]
n_samples = 256
seq_len = 64
batch_size = 16
read_latency_ms = 0

[model]
channels = 8

[train]
max_steps = {max_steps}
log_every = 4

[checkpoint]
interval = {interval}
keep = 10
"""


@pytest.fixture
def make_config(tmp_path):
    def _make(max_steps=12, interval=5):
        run_dir = tmp_path / "run"
        path = tmp_path / "tiny.toml"
        path.write_text(TINY.format(run_dir=run_dir.as_posix(), max_steps=max_steps, interval=interval))
        return path, run_dir
    return _make
