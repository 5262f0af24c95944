import torch

from tinytune.models import num_params, tiny_char_lm


def test_logits_shape():
    model = tiny_char_lm(vocab_size=30, embed_dim=16, num_heads=2, max_seq_len=24)
    logits = model(torch.randint(0, 30, (3, 24)))
    assert logits.shape == (3, 24, 30)


def test_causal_mask_hides_the_future():
    torch.manual_seed(0)
    model = tiny_char_lm(vocab_size=30, embed_dim=16, num_heads=2, max_seq_len=24).eval()
    x = torch.randint(0, 30, (1, 12))
    y = x.clone()
    y[0, -1] = (y[0, -1] + 1) % 30
    with torch.no_grad():
        assert torch.allclose(model(x)[0, :-1], model(y)[0, :-1], atol=1e-5)


def test_param_count_grows_with_width():
    assert num_params(tiny_char_lm(vocab_size=30, embed_dim=32)) > num_params(
        tiny_char_lm(vocab_size=30, embed_dim=16))
