"""A synthetic text corpus for smoke-testing recipes, read through a simulated stream.

The corpus is generated from a handful of sentence templates so the model has something
learnable. Batches are handed out by ``StreamingLoader``, which waits ``latency_s`` before
each one: our real datasets are read from remote shards and a recipe run on the toy data
should see the same pacing.
"""

import random
import time
from typing import Iterator, List, Tuple

import torch

SUBJECTS = ["the cat", "a dog", "my neighbour", "the old robot", "our team", "a small bird"]
VERBS = ["sees", "likes", "builds", "follows", "paints", "forgets"]
OBJECTS = ["the river", "a red kite", "the garden wall", "every lamp", "a wooden boat"]
ENDINGS = [".", " today.", " again.", " at night.", " slowly."]

PAD = "\0"


def build_vocab() -> List[str]:
    chars = set("".join(SUBJECTS + VERBS + OBJECTS + ENDINGS) + " \n")
    return [PAD] + sorted(chars)


class CharTokenizer:
    def __init__(self, vocab: List[str]):
        self.vocab = vocab
        self.stoi = {c: i for i, c in enumerate(vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> List[int]:
        return [self.stoi[c] for c in text]

    def decode(self, ids: List[int]) -> str:
        return "".join(self.vocab[i] for i in ids if i != 0)


def make_sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(ENDINGS)}\n"


class SyntheticTextDataset(torch.utils.data.Dataset):
    """``num_samples`` windows of ``seq_len + 1`` characters; item i is (tokens, labels)."""

    def __init__(self, tokenizer: CharTokenizer, num_samples: int, seq_len: int, seed: int = 0):
        self.seq_len = seq_len
        rng = random.Random(seed)
        text = ""
        while len(text) < num_samples + seq_len + 1:
            text += make_sentence(rng)
        self._ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
        self._num_samples = num_samples

    def __len__(self) -> int:
        return self._num_samples

    def __getitem__(self, i: int) -> Tuple[torch.Tensor, torch.Tensor]:
        window = self._ids[i : i + self.seq_len + 1]
        return window[:-1], window[1:]


class StreamingLoader:
    """Batches a dataset in a seeded, per-epoch shuffled order, one remote read per batch."""

    def __init__(self, dataset, batch_size: int, shuffle: bool = True, seed: int = 0,
                 latency_s: float = 0.0):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.latency_s = latency_s
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.dataset) // self.batch_size

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(len(self.dataset), generator=g).tolist()
        else:
            order = list(range(len(self.dataset)))
        for b in range(len(self)):
            if self.latency_s:
                time.sleep(self.latency_s)
            items = [self.dataset[i] for i in order[b * self.batch_size : (b + 1) * self.batch_size]]
            yield torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])
