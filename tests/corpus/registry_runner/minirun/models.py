import torch.nn.functional as F
from torch import nn

from .registry import MODELS


@MODELS.register_module()
class ToyMLP(nn.Module):
    def __init__(self, in_dim=8, hidden=32, num_classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.net(x)

    def train_step(self, batch, optimizer):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return dict(loss=loss.item())
