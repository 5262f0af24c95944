"""Tiny character-level language model, trained with activation checkpointing."""
