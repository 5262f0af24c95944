import torch

from wavefit.callbacks import Heartbeat
from wavefit.data import LitDataModule, make_waves
from wavefit.model import LitModel


def test_model_output_shape():
    model = LitModel(window=8, hidden=4)
    assert model(torch.zeros(3, 8)).shape == (3,)


def test_waves_are_deterministic():
    a = make_waves(10, 8, seed=3)
    b = make_waves(10, 8, seed=3)
    assert torch.equal(a.tensors[0], b.tensors[0])
    assert a.tensors[0].shape == (10, 8)


def test_datamodule_batches():
    dm = LitDataModule(window=8, n_train=40, n_val=8, batch_size=16)
    dm.setup("fit")
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 8) and y.shape == (16,)


def test_heartbeat_appends_a_line(tmp_path):
    hb = Heartbeat(interval_s=0.01)
    hb.path = tmp_path / "heartbeat"
    hb.beat()
    hb.beat()
    lines = hb.path.read_text().splitlines()
    assert len(lines) == 2
    assert all("pid=" in line for line in lines)
