import torch

from wbtrain.model import SyntheticRegression, TinyMLP


def test_forward_shape():
    out = TinyMLP()(torch.zeros(4, 16))
    assert out.shape == (4, 1)


def test_data_is_reproducible():
    a, b = SyntheticRegression(seed=3), SyntheticRegression(seed=3)
    assert torch.equal(a.batch()[0], b.batch()[0])


def test_data_state_roundtrip():
    d = SyntheticRegression(seed=1)
    d.batch()
    state = d.state_dict()
    x1 = d.batch()[0]
    d.load_state_dict(state)
    assert torch.equal(d.batch()[0], x1)
