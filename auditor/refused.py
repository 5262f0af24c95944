"""The refusal every reader of the audited project raises: `auditor.safeio` and `auditor.safeyaml`
raise it, and safeio re-exports it, so a caller catches `safeio.ReadRefused` whichever refused."""

from __future__ import annotations


class ReadRefused(ValueError):
    """A file the auditor will not read, or cannot parse within its limits; names it and says why."""

    def __init__(self, shown: str, why: str, line: int | None = None) -> None:
        self.shown, self.why, self.line = shown, why, line
        where = f"{shown}:{line}" if line is not None else shown
        super().__init__(f"{where}: {why}")
