import torch
from torch import nn


class MLPRegressor(nn.Module):
    def __init__(self, in_dim: int, hidden: int = 32, depth: int = 2, dropout: float = 0.0):
        super().__init__()
        layers = []
        dim = in_dim
        for _ in range(depth):
            layers += [nn.Linear(dim, hidden), nn.GELU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            dim = hidden
        layers.append(nn.Linear(dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def build_model(cfg, in_dim: int) -> nn.Module:
    if cfg.name == "linear":
        return MLPRegressor(in_dim, depth=0)
    if cfg.name == "mlp":
        return MLPRegressor(in_dim, cfg.hidden, cfg.depth, cfg.dropout)
    raise ValueError(f"unknown model {cfg.name!r}")


def build_optimizer(cfg, params):
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.name!r}")
