import torch

from lm.config import TrainConfig
from lm.model import TinyLM


def small_cfg(**kw):
    base = dict(n_layer=2, d_model=32, n_head=2, block_size=16, batch_size=4)
    base.update(kw)
    return TrainConfig(**base)


def test_forward_shapes():
    model = TinyLM(small_cfg())
    idx = torch.randint(0, 96, (3, 16))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 16, 96)
    assert loss.ndim == 0


def test_checkpointing_gives_same_gradients():
    """Recomputing activations in backward must not change the gradients."""
    torch.manual_seed(0)
    ref = TinyLM(small_cfg(checkpoint_every=0))
    ckpt = TinyLM(small_cfg(checkpoint_every=1))
    ckpt.load_state_dict(ref.state_dict())
    idx = torch.randint(0, 96, (4, 16))
    for m in (ref, ckpt):
        m.train()
        m(idx, idx)[1].backward()
    for (name, a), (_, b) in zip(ref.named_parameters(), ckpt.named_parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-6), name


def test_checkpoint_every_selects_blocks():
    model = TinyLM(small_cfg(n_layer=4, checkpoint_every=2))
    model.train()
    assert [model._checkpointed(i) for i in range(4)] == [True, False, True, False]
    model.eval()
    assert not any(model._checkpointed(i) for i in range(4))
