import torch
from torch import nn


class MLP(nn.Module):
    """Two-layer perceptron with a tanh hidden layer."""

    def __init__(self, n_in=8, hidden=16):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x))).squeeze(-1)
