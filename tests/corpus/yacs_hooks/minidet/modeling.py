import torch.nn as nn
import torch.nn.functional as F


class MLPClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        m = cfg.MODEL
        self.net = nn.Sequential(
            nn.Linear(m.IN_FEATURES, m.HIDDEN_DIM), nn.ReLU(),
            nn.Linear(m.HIDDEN_DIM, m.NUM_CLASSES),
        )

    def forward(self, batch):
        logits = self.net(batch["x"])
        if self.training:
            return {"loss_cls": F.cross_entropy(logits, batch["y"])}
        return logits


def build_model(cfg):
    return MLPClassifier(cfg).to(cfg.MODEL.DEVICE)
