"""The trainer's error types, in one module that imports nothing of magvit's, so that the
configuration, the models, the stages and the loop can all raise them without importing
one another. Each message names the file, field or setting and says what to do; the CLI
turns them into exit codes (2 for bad input)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value or file is invalid; the message names the file and field."""


class TrainError(Exception):
    """Training cannot start or go on; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class EvalError(Exception):
    """The checkpoint or data set cannot be evaluated; the message says which and why."""
