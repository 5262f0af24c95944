import torch.nn as nn


class Net(nn.Module):
    def __init__(self, n_in=20, hidden=64, n_out=4):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.layers(x)
