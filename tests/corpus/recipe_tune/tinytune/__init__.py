"""tinytune: small building blocks for our fine-tuning recipes."""

__version__ = "0.3.1"
