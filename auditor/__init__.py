"""Compliance auditor for the process rules of training projects."""

__version__ = "0.1.0"
