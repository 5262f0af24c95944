"""Model builders referenced from recipe configs."""

import torch
from torch import nn


class TinyCharLM(nn.Module):
    """A decoder-only transformer small enough to train on a laptop CPU."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, num_heads: int = 2,
                 num_layers: int = 1, max_seq_len: int = 64, dropout: float = 0.0):
        super().__init__()
        self.max_seq_len = max_seq_len
        self.tok_embeddings = nn.Embedding(vocab_size, embed_dim)
        self.pos_embeddings = nn.Embedding(max_seq_len, embed_dim)
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, dim_feedforward=4 * embed_dim,
                                           dropout=dropout, batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dim)
        self.output = nn.Linear(embed_dim, vocab_size, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        bsz, seq_len = tokens.shape
        if seq_len > self.max_seq_len:
            raise ValueError(f"sequence length {seq_len} exceeds max_seq_len {self.max_seq_len}")
        pos = torch.arange(seq_len, device=tokens.device)
        h = self.tok_embeddings(tokens) + self.pos_embeddings(pos)
        mask = nn.Transformer.generate_square_subsequent_mask(seq_len, device=tokens.device)
        h = self.layers(h, mask=mask, is_causal=True)
        return self.output(self.norm(h))


def tiny_char_lm(**kwargs) -> TinyCharLM:
    return TinyCharLM(**kwargs)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
