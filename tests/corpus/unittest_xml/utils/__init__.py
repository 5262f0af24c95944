"""Helpers for trainer.py: data, checkpoints, metrics CSV, status file, heartbeat."""
