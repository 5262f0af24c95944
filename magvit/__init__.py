"""MAGVIT video tokenizer trainer on synthetic trajectory videos."""

__version__ = "0.1.0"
