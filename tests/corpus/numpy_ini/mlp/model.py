"""A two-layer perceptron with a hand-written backward pass.

    logits = relu(x @ W1 + b1) @ W2 + b2

Parameters live in a dict so the optimizer and the checkpoint code can walk them by name.
"""

import numpy as np


class MLP:
    def __init__(self, n_in, n_hidden, n_out, rng, init_scale=1.0):
        # He init for the ReLU layer, plain 1/sqrt(fan_in) for the output layer
        self.params = {
            "W1": rng.standard_normal((n_in, n_hidden)) * init_scale * np.sqrt(2.0 / n_in),
            "b1": np.zeros(n_hidden),
            "W2": rng.standard_normal((n_hidden, n_out)) * init_scale / np.sqrt(n_hidden),
            "b2": np.zeros(n_out),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache = None

    def forward(self, x):
        p = self.params
        h_pre = x @ p["W1"] + p["b1"]
        h = np.maximum(h_pre, 0.0)
        logits = h @ p["W2"] + p["b2"]
        self._cache = (x, h_pre, h)
        return logits

    def loss(self, logits, y):
        """Mean softmax cross-entropy; also keeps d(loss)/d(logits) for backward()."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        n = y.shape[0]
        self._dlogits = np.exp(log_probs)
        self._dlogits[np.arange(n), y] -= 1.0
        self._dlogits /= n
        return float(-log_probs[np.arange(n), y].mean())

    def backward(self):
        x, h_pre, h = self._cache
        p, g, d = self.params, self.grads, self._dlogits
        g["W2"][...] = h.T @ d
        g["b2"][...] = d.sum(axis=0)
        dh = d @ p["W2"].T
        dh[h_pre <= 0.0] = 0.0
        g["W1"][...] = x.T @ dh
        g["b1"][...] = dh.sum(axis=0)
        return g

    def loss_and_grads(self, x, y):
        value = self.loss(self.forward(x), y)
        self.backward()
        return value

    def predict(self, x):
        return self.forward(x).argmax(axis=1)
