"""pulsefit: train small 1-D conv classifiers on digitised detector pulses."""

__version__ = "0.3.1"
