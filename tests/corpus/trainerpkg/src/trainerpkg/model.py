"""The classifier: a small MLP."""

from __future__ import annotations

from torch import nn


def build_model(n_features: int, hidden: int, n_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(n_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_classes),
    )
