"""SGD with (heavy-ball) momentum and decoupled-free L2 weight decay."""

import numpy as np


class SGDMomentum:
    def __init__(self, params, lr=0.05, momentum=0.9, weight_decay=0.0):
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay and name.startswith("W"):
                g = g + self.weight_decay * p
            v = self.velocity[name]
            v *= self.momentum
            v -= self.lr * g
            p += v
