"""lumen: a small classifier trainer that is safe to kill."""

__version__ = "1.2.0"
