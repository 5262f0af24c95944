import torch

from toyreg.datasets import NoisySineDataset


def test_len_and_keys():
    ds = NoisySineDataset(num_samples=100)
    assert len(ds) == 100
    item = ds[3]
    assert set(item) == {'inputs', 'targets'}
    assert item['inputs'].shape == (1, )


def test_same_seed_same_data():
    a = NoisySineDataset(num_samples=50, seed=7)
    b = NoisySineDataset(num_samples=50, seed=7)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_inputs_in_range():
    ds = NoisySineDataset(num_samples=500)
    assert ds.x.min() >= -1 and ds.x.max() <= 1
