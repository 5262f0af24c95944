import torch.nn as nn


class Net(nn.Module):
    def __init__(self, n_in=8, hidden=32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, hidden), nn.Tanh(),
            nn.Linear(hidden, hidden), nn.Tanh(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.layers(x).squeeze(-1)
