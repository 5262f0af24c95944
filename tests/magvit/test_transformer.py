"""The masked-token transformer: shapes, config errors, and that a tiny one overfits one batch."""

from __future__ import annotations

import pytest
import torch

from magvit.config import ConfigError
from magvit.maskgit import apply_mask, decode, draw_mask, given_positions, masked_accuracy, masked_loss
from magvit.models.transformer import MaskedTokenTransformer, TransformerConfig

TINY = TransformerConfig(dim=32, depth=2, heads=2, label_smoothing=0.0)


def test_logits_cover_the_codebook_at_every_position():
    torch.manual_seed(0)
    model = MaskedTokenTransformer(TINY, vocab_size=16, grid=(2, 4, 4))
    tokens = torch.randint(0, 17, (3, 2, 4, 4))  # 16 is [MASK]
    assert model(tokens).shape == (3, 2, 4, 4, 16)
    with pytest.raises(ValueError, match="token grid"):
        model(torch.zeros(3, 2, 4, 5, dtype=torch.long))


def test_attention_is_bidirectional():
    """Changing the last token changes the logits of the first: no causal mask."""
    torch.manual_seed(0)
    model = MaskedTokenTransformer(TINY, vocab_size=8, grid=(2, 2, 2)).eval()
    a = torch.zeros(1, 2, 2, 2, dtype=torch.long)
    b = a.clone()
    b[0, -1, -1, -1] = 5
    assert not torch.allclose(model(a)[0, 0, 0, 0], model(b)[0, 0, 0, 0])


@pytest.mark.parametrize("field,value,words", [
    ("heads", 3, "must divide dim"),
    ("task", "outpaint", "must be one of"),
    ("decode_steps", 0, "at least 1"),
    ("temperature", -1.0, ">= 0"),
])  # fmt: skip
def test_bad_config_values_name_the_field(field, value, words):
    with pytest.raises(ConfigError, match=f"transformer.{field}.*{words}"):
        TransformerConfig(**{field: value})


def test_unknown_config_key_is_named():
    with pytest.raises(ConfigError, match="layers"):
        TransformerConfig.from_dict({"layers": 4})


def test_tiny_transformer_overfits_one_batch():
    """Masked-token modeling on one fixed batch: the loss falls by a large factor and the
    masked-token accuracy reaches ~1; then MaskGIT decoding reproduces the batch from its first frame."""
    torch.manual_seed(0)
    vocab, grid = 16, (2, 4, 4)
    tokens = torch.randint(0, vocab, (4, *grid))
    given = given_positions(grid, "predict", 1)
    model = MaskedTokenTransformer(TINY, vocab, grid)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(300):
        mask = draw_mask(len(tokens), given, generator)
        logits = model(apply_mask(tokens, mask, model.mask_id))
        loss = masked_loss(logits, tokens, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert sum(losses[-20:]) / 20 < losses[0] / 20, f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    model.eval()
    everything = torch.ones_like(tokens, dtype=torch.bool) & ~given
    accuracy = masked_accuracy(model(apply_mask(tokens, everything, model.mask_id)), tokens, everything)
    assert float(accuracy) > 0.95
    out = decode(model, tokens, given, model.mask_id, steps=4, temperature=0.0)
    assert float((out.tokens == tokens).double().mean()) > 0.95
