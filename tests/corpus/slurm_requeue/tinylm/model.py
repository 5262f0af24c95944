import torch
from torch import nn


class TinyLM(nn.Module):
    """One causal transformer block over character embeddings."""

    def __init__(self, vocab_size, d_model=32, n_head=2, seq_len=32):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Parameter(torch.zeros(1, seq_len, d_model))
        self.block = nn.TransformerEncoderLayer(d_model, n_head, dim_feedforward=2 * d_model,
                                                dropout=0.0, batch_first=True)
        self.head = nn.Linear(d_model, vocab_size)
        mask = torch.triu(torch.full((seq_len, seq_len), float("-inf")), diagonal=1)
        self.register_buffer("causal", mask, persistent=False)

    def forward(self, idx):
        t = idx.shape[1]
        h = self.tok(idx) + self.pos[:, :t]
        h = self.block(h, src_mask=self.causal[:t, :t], is_causal=True)
        return self.head(h)
