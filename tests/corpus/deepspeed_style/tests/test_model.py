import torch

from data import RandomWalkBytes
from model import GPTConfig, TinyGPT


def test_loss_at_init_is_close_to_uniform():
    torch.manual_seed(0)
    cfg = GPTConfig()
    model = TinyGPT(cfg)
    x, y = RandomWalkBytes(n_samples=8, block_size=cfg.block_size + 1)[0]
    loss = model(x[None], y[None])
    assert abs(loss.item() - torch.log(torch.tensor(256.0)).item()) < 1.0


def test_future_tokens_do_not_leak():
    torch.manual_seed(0)
    model = TinyGPT(GPTConfig()).eval()
    x = torch.randint(0, 256, (1, 32))
    y = x.clone()
    y[0, 20:] = (y[0, 20:] + 7) % 256
    with torch.no_grad():
        assert torch.allclose(model(x)[0, :20], model(y)[0, :20], atol=1e-5)


def test_samples_are_shifted_pairs():
    x, y = RandomWalkBytes(n_samples=4, block_size=17)[2]
    assert x.shape == y.shape == (16,)
    assert torch.equal(x[1:], y[:-1])
