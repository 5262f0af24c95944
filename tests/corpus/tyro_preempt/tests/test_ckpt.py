import torch

from rhea import ckpt
from rhea.model import make_model


def _pair():
    m = make_model(8)
    return m, torch.optim.Adam(m.parameters(), lr=1e-2)


def test_newest_is_highest_step(tmp_path):
    m, o = _pair()
    for s in (30, 200, 90):
        ckpt.save(tmp_path, s, m, o)
    assert ckpt.newest(tmp_path).name == "step_0000200.pt"
    assert [s for s, _ in ckpt.list_steps(tmp_path)] == [30, 90, 200]


def test_load_restores_model_and_optimizer(tmp_path):
    m, o = _pair()
    m(torch.ones(4, 1)).sum().backward()
    o.step()
    p = ckpt.save(tmp_path, 7, m, o)
    m2, o2 = _pair()
    assert ckpt.load(p, m2, o2) == 7
    for a, b in zip(m.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    assert o2.state_dict()["state"][0]["step"] == 1


def test_prune_keeps_last(tmp_path):
    m, o = _pair()
    for s in (1, 2, 3, 4):
        ckpt.save(tmp_path, s, m, o)
    ckpt.prune(tmp_path, 2)
    assert [s for s, _ in ckpt.list_steps(tmp_path)] == [3, 4]
