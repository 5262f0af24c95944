"""Tiny regression trainer used to shake out the W&B setup before the real runs."""
