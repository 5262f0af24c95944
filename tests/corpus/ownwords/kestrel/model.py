from torch import nn


def build_mlp(n_features, hidden):
    return nn.Sequential(
        nn.Linear(n_features, hidden), nn.GELU(),
        nn.Linear(hidden, hidden), nn.GELU(),
        nn.Linear(hidden, 1),
    )
