"""Synthetic text: an endless stream of small sums written out ("17+5=22;").

The stream is deterministic given its seed and its cursor, so a resumed job sees exactly the
batches the killed one would have seen next.
"""

import torch

ALPHABET = "0123456789+=;"


class SumStream:
    def __init__(self, seed=0, seq_len=32, batch_size=16):
        self.seed = seed
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.cursor = 0
        self.stoi = {ch: i for i, ch in enumerate(ALPHABET)}

    @property
    def vocab_size(self):
        return len(ALPHABET)

    def _text(self, generator, n_chars):
        parts, length = [], 0
        while length < n_chars:
            a, b = torch.randint(0, 50, (2,), generator=generator).tolist()
            piece = f"{a}+{b}={a + b};"
            parts.append(piece)
            length += len(piece)
        return "".join(parts)[:n_chars]

    def next_batch(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.cursor)
        self.cursor += 1
        rows = []
        for _ in range(self.batch_size):
            text = self._text(generator, self.seq_len + 1)
            rows.append([self.stoi[ch] for ch in text])
        data = torch.tensor(rows, dtype=torch.long)
        return data[:, :-1], data[:, 1:]

    def state_dict(self):
        return {"seed": self.seed, "cursor": self.cursor}

    def load_state_dict(self, state):
        self.seed = state["seed"]
        self.cursor = state["cursor"]
