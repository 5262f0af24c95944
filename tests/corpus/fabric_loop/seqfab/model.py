import torch
from torch import nn


class TinyEncoder(nn.Module):
    """One transformer encoder layer over token embeddings, predicting the next token."""

    def __init__(self, vocab: int = 16, dim: int = 32, heads: int = 2, seq_len: int = 24):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(seq_len, dim))
        self.block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim,
                                                batch_first=True, dropout=0.0)
        self.head = nn.Linear(dim, vocab)
        mask = torch.triu(torch.full((seq_len, seq_len), float("-inf")), diagonal=1)
        self.register_buffer("causal", mask, persistent=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        h = self.tok(idx) + self.pos[:t]
        h = self.block(h, src_mask=self.causal[:t, :t], is_causal=True)
        return self.head(h)
