import os
import time

import torch


class Dictionary:
    def __init__(self):
        self.symbols = ["<pad>", "</s>", "<unk>"]
        self.indices = {s: i for i, s in enumerate(self.symbols)}
        self.pad, self.eos, self.unk = 0, 1, 2

    def __len__(self):
        return len(self.symbols)

    def add_symbol(self, word):
        if word not in self.indices:
            self.indices[word] = len(self.symbols)
            self.symbols.append(word)
        return self.indices[word]

    def encode_line(self, line):
        return [self.indices.get(w, self.unk) for w in line.split()] + [self.eos]


def build_dictionary(data_dir):
    d = Dictionary()
    with open(os.path.join(data_dir, "train.txt")) as f:
        for line in f:
            for w in line.split():
                d.add_symbol(w)
    return d


def load_split(data_dir, split, dictionary, tokens_per_sample):
    """Concatenate the split into one stream and cut it into blocks of tokens_per_sample + 1."""
    ids = []
    with open(os.path.join(data_dir, f"{split}.txt")) as f:
        for line in f:
            ids.extend(dictionary.encode_line(line))
    block = tokens_per_sample + 1
    n = len(ids) // block
    return torch.tensor(ids[: n * block], dtype=torch.long).view(n, block)


class EpochBatchIterator:
    """Shuffled batches for one epoch at a time; remembers how far into the epoch it got."""

    def __init__(self, blocks, batch_size, seed=1, epoch=1, fetch_delay_ms=0.0):
        self.blocks, self.batch_size, self.seed = blocks, batch_size, seed
        self.fetch_delay = fetch_delay_ms / 1000.0
        self.epoch = epoch
        self.iterations_in_epoch = 0
        self._started = False

    def __len__(self):
        return len(self.blocks) // self.batch_size

    def next_epoch_itr(self):
        if self._started:  # the previous epoch ran to its end
            self.epoch += 1
            self.iterations_in_epoch = 0
        self._started = True
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(len(self.blocks), generator=g)
        return self._batches(order, self.iterations_in_epoch)

    def _batches(self, order, offset):
        for i in range(offset, len(self)):
            if self.fetch_delay:
                time.sleep(self.fetch_delay)
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            self.iterations_in_epoch = i + 1
            yield self.blocks[idx]

    def end_of_epoch(self):
        return self.iterations_in_epoch >= len(self)

    def state_dict(self):
        return {"epoch": self.epoch, "iterations_in_epoch": self.iterations_in_epoch}

    def load_state_dict(self, state):
        self.epoch = state["epoch"]
        self.iterations_in_epoch = state["iterations_in_epoch"]
        if self.end_of_epoch():  # saved at an epoch boundary: go on with the next epoch
            self.epoch += 1
            self.iterations_in_epoch = 0
