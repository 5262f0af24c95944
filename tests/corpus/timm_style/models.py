import torch.nn as nn

_model_entrypoints = {}


def register_model(fn):
    _model_entrypoints[fn.__name__] = fn
    return fn


def create_model(name, **kwargs):
    if name not in _model_entrypoints:
        raise RuntimeError('Unknown model (%s)' % name)
    return _model_entrypoints[name](**kwargs)


class TinyCnn(nn.Module):
    def __init__(self, num_classes=10, in_chans=3, width=16, drop_rate=0.):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width * 2, 3, padding=1), nn.BatchNorm2d(width * 2), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.drop = nn.Dropout(drop_rate)
        self.head = nn.Linear(width * 2, num_classes)

    def forward(self, x):
        x = self.features(x).flatten(1)
        return self.head(self.drop(x))


@register_model
def tiny_cnn(**kwargs):
    return TinyCnn(width=16, **kwargs)


@register_model
def tiny_cnn_wide(**kwargs):
    return TinyCnn(width=32, **kwargs)
