"""Helpers for the CartPole PPO sandbox (config loading, callbacks, checkpoint lookup)."""
