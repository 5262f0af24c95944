import torch

from ddpm.data import rectangles
from ddpm.ema import EMA
from ddpm.schedule import LinearSchedule
from ddpm.unet import TinyEpsNet


def test_ema_moves_a_fraction_towards_the_live_weights():
    model = torch.nn.Linear(2, 1)
    ema = EMA(model, decay=0.9)
    before = ema.model.weight.clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    assert torch.allclose(ema.model.weight, before + 0.1, atol=1e-6)


def test_ema_copy_is_frozen():
    ema = EMA(torch.nn.Linear(2, 1))
    assert not any(p.requires_grad for p in ema.model.parameters())


def test_q_sample_at_t0_is_almost_the_image():
    schedule = LinearSchedule(200)
    x0 = rectangles(4)
    xt = schedule.q_sample(x0, torch.zeros(4, dtype=torch.long), torch.randn_like(x0))
    assert (xt - x0).abs().max() < 0.05


def test_alpha_bar_decreases_to_near_zero():
    a_bar = LinearSchedule(200).alpha_bars
    assert torch.all(a_bar[1:] < a_bar[:-1])
    assert a_bar[-1] < 0.2


def test_eps_net_keeps_the_shape():
    net = TinyEpsNet(16, 50)
    x = torch.randn(3, 1, 8, 8)
    assert net(x, torch.tensor([0, 10, 49])).shape == x.shape
