import torch

from seqfab.data import ModularSequences
from seqfab.model import TinyEncoder


def test_logits_shape():
    model = TinyEncoder(dim=16)
    x, y = next(iter(ModularSequences(batch_size=4)))
    assert model(x).shape == (4, 24, 16)
    assert y.shape == (4, 24)


def test_batches_are_reproducible_from_a_start_index():
    a = iter(ModularSequences(batch_size=2, start_batch=0))
    next(a)
    b = iter(ModularSequences(batch_size=2, start_batch=1))
    assert torch.equal(next(a)[0], next(b)[0])
