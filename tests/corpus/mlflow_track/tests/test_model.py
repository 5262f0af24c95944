import torch

from model import SensorMLP, ShardLoader, make_dataset


def test_forward_shape():
    out = SensorMLP()(torch.randn(5, 16))
    assert out.shape == (5, 4)


def test_dataset_split_sizes():
    (x, y), (xv, yv) = make_dataset(320, n_val=64)
    assert x.shape == (320, 16) and y.shape == (320, 4)
    assert xv.shape == (64, 16) and yv.shape == (64, 4)


def test_loader_order_is_reproducible_and_can_skip():
    (x, y), _ = make_dataset(320, n_val=8)
    loader = ShardLoader(x, y, batch_size=32)
    full = [xb for xb, _ in loader.epoch(3)]
    tail = [xb for xb, _ in loader.epoch(3, start_batch=4)]
    assert len(full) == len(loader) == 10
    assert all(torch.equal(a, b) for a, b in zip(full[4:], tail))
