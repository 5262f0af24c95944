"""A deliberately small next-token model (embedding -> GRU -> linear)."""

import gin
import torch
from torch import nn


@gin.configurable
class TinyGRU(nn.Module):

    def __init__(self, vocab_size=32, embed_dim=16, hidden_dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)

    def forward(self, tokens):
        hidden, _ = self.rnn(self.embed(tokens))
        return self.head(hidden)
