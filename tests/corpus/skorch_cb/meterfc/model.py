import torch
from torch import nn


class LoadGRU(nn.Module):
    """One GRU layer over the window, a linear head on the last hidden state."""

    def __init__(self, n_features=3, hidden=16):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])
