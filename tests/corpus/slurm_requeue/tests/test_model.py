import torch

from tinylm.data import SumStream
from tinylm.model import TinyLM


def test_stream_is_reproducible_from_its_state():
    a = SumStream(seed=3)
    for _ in range(5):
        a.next_batch()
    b = SumStream(seed=0)
    b.load_state_dict(a.state_dict())
    xa, _ = a.next_batch()
    xb, _ = b.next_batch()
    assert torch.equal(xa, xb)


def test_targets_are_inputs_shifted_by_one():
    x, y = SumStream(seed=1, seq_len=16, batch_size=4).next_batch()
    assert x.shape == y.shape == (4, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])


def test_model_is_causal():
    torch.manual_seed(0)
    model = TinyLM(13, seq_len=16).eval()
    x = torch.randint(0, 13, (1, 16))
    changed = x.clone()
    changed[0, 10] = (changed[0, 10] + 1) % 13
    with torch.no_grad():
        assert torch.allclose(model(x)[0, :10], model(changed)[0, :10], atol=1e-6)
