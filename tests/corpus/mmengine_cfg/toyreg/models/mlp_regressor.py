import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import MODELS


@MODELS.register_module()
class MLPRegressor(BaseModel):

    def __init__(self, in_dim=1, hidden_dims=(64, 64), out_dim=1,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        layers, prev = [], in_dim
        for h in hidden_dims:
            layers += [nn.Linear(prev, h), nn.Tanh()]
            prev = h
        layers.append(nn.Linear(prev, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, inputs, targets=None, mode='tensor'):
        pred = self.net(inputs)
        if mode == 'loss':
            return dict(loss=F.mse_loss(pred, targets))
        if mode == 'predict':
            return [dict(pred=p, gt=t) for p, t in zip(pred, targets)]
        return pred
