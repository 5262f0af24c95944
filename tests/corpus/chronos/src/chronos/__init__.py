"""chronos: a next-character model for streams of clock times."""

__version__ = "0.3.1"
