"""Synthetic clock streams: "09:58 09:59 10:00 10:01 ..." cut into fixed windows.

Batches are a pure function of (seed, step), so a resumed run sees exactly the
batches it would have seen had it never stopped.
"""
from __future__ import annotations

import torch

ALPHABET = "0123456789: "
VOCAB_SIZE = len(ALPHABET)
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


def clock_text(start_minute: int, count: int, stride: int) -> str:
    stamps = []
    for k in range(count):
        minute = (start_minute + k * stride) % (24 * 60)
        stamps.append(f"{minute // 60:02d}:{minute % 60:02d}")
    return " ".join(stamps)


def encode(text: str) -> torch.Tensor:
    return torch.tensor([_INDEX[ch] for ch in text], dtype=torch.long)


def batch_for_step(seed: int, step: int, batch_size: int, seq_len: int):
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
    starts = torch.randint(0, 24 * 60, (batch_size,), generator=gen)
    strides = torch.randint(1, 6, (batch_size,), generator=gen)
    offsets = torch.randint(0, 6, (batch_size,), generator=gen)
    count = seq_len // 6 + 3
    rows = []
    for start, stride, off in zip(starts.tolist(), strides.tolist(), offsets.tolist()):
        text = clock_text(start, count, stride)
        rows.append(encode(text[off:off + seq_len + 1]))
    window = torch.stack(rows)
    return window[:, :-1], window[:, 1:]
