"""Synthetic classification data: Gaussian inputs labelled by a fixed random teacher net.

The teacher is deliberately a little deeper than the student so the task is not trivially
separable; label noise flips a fraction of the training labels.
"""

import numpy as np


def make_dataset(section):
    """Build (x_train, y_train, x_val, y_val) from the INI's [data] section."""
    n_features = section.getint("n_features")
    n_classes = section.getint("n_classes")
    n_train = section.getint("n_train")
    n_val = section.getint("n_val")
    noise = section.getfloat("label_noise", fallback=0.0)
    rng = np.random.default_rng(section.getint("seed"))

    t1 = rng.standard_normal((n_features, 64)) / np.sqrt(n_features)
    t2 = rng.standard_normal((64, 64)) / 8.0
    t3 = rng.standard_normal((64, n_classes)) / 8.0

    def label(x):
        return (np.tanh(np.tanh(x @ t1) @ t2) @ t3).argmax(axis=1)

    x = rng.standard_normal((n_train + n_val, n_features)).astype(np.float64)
    y = label(x)
    flip = rng.random(n_train) < noise
    y[:n_train][flip] = rng.integers(0, n_classes, size=int(flip.sum()))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
