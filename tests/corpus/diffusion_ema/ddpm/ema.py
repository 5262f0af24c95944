import copy

import torch


class EMA:
    """Exponential moving average of a model's weights, kept as a second model for sampling."""

    def __init__(self, model, decay=0.999):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for shadow, live in zip(self.model.parameters(), model.parameters()):
            shadow.lerp_(live.detach(), 1.0 - self.decay)
        for shadow, live in zip(self.model.buffers(), model.buffers()):
            shadow.copy_(live)

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)
