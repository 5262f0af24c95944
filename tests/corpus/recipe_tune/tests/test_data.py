import torch

from tinytune.data import CharTokenizer, StreamingLoader, SyntheticTextDataset, build_vocab


def _tokenizer():
    return CharTokenizer(build_vocab())


def test_tokenizer_roundtrip():
    tok = _tokenizer()
    text = "the cat sees a red kite.\n"
    assert tok.decode(tok.encode(text)) == text


def test_labels_are_inputs_shifted_by_one():
    ds = SyntheticTextDataset(_tokenizer(), num_samples=20, seq_len=16, seed=3)
    tokens, labels = ds[5]
    assert tokens.shape == labels.shape == (16,)
    assert torch.equal(tokens[1:], labels[:-1])


def test_loader_shuffles_per_epoch_but_is_deterministic():
    ds = SyntheticTextDataset(_tokenizer(), num_samples=64, seq_len=8)
    loader = StreamingLoader(ds, batch_size=8, seed=7)
    first = [x for x, _ in loader]
    again = [x for x, _ in loader]
    loader.set_epoch(1)
    other = [x for x, _ in loader]
    assert len(first) == len(loader) == 8
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
