import sys
import os

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import utils  # noqa: E402
from model import Net  # noqa: E402


def test_save_checkpoint_writes_file(tmp_path):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    path = tmp_path / "ckpt" / "a.pt"
    utils.save_checkpoint(model, opt, 1, 10, str(path))
    assert path.exists()
    assert torch.load(path)["step"] == 10


def test_load_checkpoint_restores_weights(tmp_path):
    model = Net()
    opt = torch.optim.Adam(model.parameters())
    path = tmp_path / "a.pt"
    utils.save_checkpoint(model, opt, 2, 20, str(path))
    other = Net()
    utils.load_checkpoint(other, str(path))
    for p, q in zip(model.parameters(), other.parameters()):
        assert torch.equal(p, q)
