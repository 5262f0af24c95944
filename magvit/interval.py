"""The checkpoint interval: the one parser of `90s`, `2m`, `1h`, `500steps`, `3epochs`.

`TrainConfig.checkpoint_every` holds an `Interval`, made when the configuration is (so a bad
one is refused before anything runs, with exit 2), and the checkpoint manager, the manifests
and the written config.yaml all use it. Imports nothing of magvit's and not torch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

FORMS = "a time ('90s', '2m', '1h'), a step count ('500steps') or epochs ('1epoch', '3epochs')"
MAX_DIGITS = 9  # a billion seconds is 31 years: a longer number is a typo, not an interval
_NUMBER_RE = re.compile(r"^\s*(\d+)")
_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|steps?|epochs?)\s*$")
_TIME_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Interval:
    """How often periodic checkpoints are saved."""

    kind: str
    """``time`` (value in seconds), ``steps`` or ``epochs``."""
    value: float | int
    """The period, a positive number (an int for steps and epochs)."""

    def __post_init__(self) -> None:
        if self.kind not in ("time", "steps", "epochs"):
            raise ValueError(f"interval kind {self.kind!r} must be 'time', 'steps' or 'epochs'")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise ValueError(f"interval value {self.value!r} must be a number")
        if not math.isfinite(self.value):
            raise ValueError(f"interval value {self.value!r} must be finite")
        if self.value <= 0:
            raise ValueError(f"interval value {self.value!r} must be positive")
        if self.kind != "time" and not isinstance(self.value, int):
            raise ValueError(f"a {self.kind} interval needs a whole number, not {self.value!r}")

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Parse ``"90s"``, ``"2m"``, ``"1h"``, ``"500steps"`` or ``"1epoch"``; ValueError says why not."""
        if not isinstance(text, str):
            raise ValueError(f"checkpoint interval {text!r} is not valid: use {FORMS}")
        leading = _NUMBER_RE.match(text)
        if leading and len(leading.group(1)) > MAX_DIGITS:
            raise ValueError(f"checkpoint interval {_shown(text)} is not valid: its number has "
                             f"{len(leading.group(1))} digits, and at most {MAX_DIGITS} digits are allowed")
        match = _INTERVAL_RE.match(text)
        if match is None:
            raise ValueError(f"checkpoint interval {_shown(text)} is not valid: use {FORMS}")
        number, unit = match.groups()
        if unit in _TIME_UNITS:
            value: float | int = float(number) * _TIME_UNITS[unit]
            kind = "time"
        elif "." in number:
            raise ValueError(f"checkpoint interval {text!r} is not valid: steps and epochs are whole numbers; "
                             f"use {FORMS}")
        else:
            value = int(number)
            kind = "steps" if unit.startswith("step") else "epochs"
        if value <= 0:
            raise ValueError(f"checkpoint interval {text!r} is not valid: it must be positive; use {FORMS}")
        return cls(kind, value)

    @classmethod
    def coerce(cls, value: Any) -> Interval:
        """An Interval from a config value: an Interval, a text form, or a number of seconds."""
        if isinstance(value, Interval):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"a number of seconds must be finite and greater than zero, not {value!r}")
            if abs(value) >= 10 ** MAX_DIGITS:
                raise ValueError(f"{value!r} seconds: at most {MAX_DIGITS} digits are allowed")
            return cls("time", float(value))
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"checkpoint interval {value!r} is not valid: use {FORMS}")

    def to_dict(self) -> dict[str, Any]:
        """The manifest form ``{"kind": ..., "value": ...}``."""
        return {"kind": self.kind, "value": self.value}

    def __str__(self) -> str:
        """The text form, in the largest unit that is exact: ``2m``, ``90s``, ``1h``, ``500steps``."""
        if self.kind != "time":
            return f"{self.value}{self.kind}"
        for unit, seconds in (("h", 3600.0), ("m", 60.0)):
            if self.value >= seconds and float(self.value) % seconds == 0:
                return f"{_decimal(self.value / seconds)}{unit}"
        return f"{_decimal(self.value)}s"


def _decimal(value: float) -> str:
    """A number as the parser reads it back: digits and at most one point, never an exponent."""
    if float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    return text if "e" not in text else format(value, ".15f").rstrip("0").rstrip(".")


def _shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut when it is long (a 400-digit typo need not be echoed whole)."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


DEFAULT_INTERVAL = Interval("time", 120.0)
