"""Synthetic sequence-classification data: is the first token smaller than the last one?

Stands in for the ticket-routing dataset, which cannot leave the production cluster.
"""

import time

import torch
from torch.utils.data import Dataset


class FirstVsLast(Dataset):
    def __init__(self, size: int, seq_len: int, vocab_size: int, seed: int, io_delay_ms: float = 0.0):
        generator = torch.Generator().manual_seed(seed)
        # ids 0-3 are reserved for special tokens, as in the real tokenizer
        self.input_ids = torch.randint(4, vocab_size, (size, seq_len), generator=generator)
        self.labels = (self.input_ids[:, 0] < self.input_ids[:, -1]).long()
        self.io_delay_s = io_delay_ms / 1000.0

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def __getitem__(self, index: int) -> dict:
        if self.io_delay_s:
            # the production loader reads each example from object storage
            time.sleep(self.io_delay_s)
        ids = self.input_ids[index]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": self.labels[index]}
