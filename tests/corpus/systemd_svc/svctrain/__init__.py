"""svctrain: a toy regression model trained by a long-lived systemd service."""

__version__ = "0.4.1"
