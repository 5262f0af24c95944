"""A synthetic corpus from a tiny grammar, encoded per character."""
import random

import torch

SUBJECTS = ["the cat", "a dog", "my aunt", "the robot", "our cook", "a heron"]
VERBS = ["sees", "likes", "paints", "follows", "feeds", "hears"]
OBJECTS = ["the moon", "a fish", "two birds", "the river", "an old map", "some bread"]


def make_corpus(n_sentences=3000, seed=0):
    rng = random.Random(seed)
    return " ".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
                    for _ in range(n_sentences))


class CharData:
    def __init__(self, seed=0, val_fraction=0.1):
        text = make_corpus(seed=seed)
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        ids = torch.tensor([self.stoi[c] for c in text], dtype=torch.long)
        split = int(len(ids) * (1 - val_fraction))
        self.train, self.val = ids[:split], ids[split:]

    @property
    def vocab_size(self):
        return len(self.chars)

    def batch(self, split, batch_size, block_size, gen):
        data = self.train if split == "train" else self.val
        starts = torch.randint(len(data) - block_size - 1, (batch_size,), generator=gen)
        x = torch.stack([data[s:s + block_size] for s in starts])
        y = torch.stack([data[s + 1:s + block_size + 1] for s in starts])
        return x, y
