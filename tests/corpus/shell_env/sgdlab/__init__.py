"""sgdlab: small SGD experiments on synthetic regression data."""

__version__ = "0.3.1"
