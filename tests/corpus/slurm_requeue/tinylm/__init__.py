"""A character-level language model small enough to debug the cluster plumbing with."""
