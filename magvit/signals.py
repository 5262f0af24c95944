"""Preemption: SIGTERM / SIGINT ask the training loop to stop at the next batch boundary.

The first signal only sets a flag; the loop sees it after the batch in progress, saves a
`preempt` checkpoint, records `preempted` and `run_end` events and exits with
128 + the signal number (143 for SIGTERM, 130 for SIGINT), the shell convention, so a job
scheduler can tell a preempted run from a finished one (0) or a failed one (1).
A second signal while the first is being honoured exits at once with the same code.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_code_for(signum: int) -> int:
    """The process exit code for a stop caused by `signum` (128 + its number)."""
    return 128 + int(signum)


class PreemptionHandler:
    """Turns SIGTERM and SIGINT into a flag the loop polls; use as a context manager."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "PreemptionHandler":
        for sig in HANDLED_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            # The user insists: leave now, without waiting for the save in progress.
            sys.stderr.write(f"\nSecond {signal.Signals(signum).name}: exiting at once.\n")
            sys.stderr.flush()
            os._exit(exit_code_for(signum))
        self.signum = signum
        sys.stderr.write(f"\n{signal.Signals(signum).name} received: saving a checkpoint at the next "
                         "batch boundary, then exiting (send it again to exit at once).\n")
        sys.stderr.flush()

    def requested(self) -> bool:
        """Has a stop been asked for?"""
        return self.signum is not None

    @property
    def signal_name(self) -> str | None:
        """`SIGTERM` / `SIGINT`, or None when no signal came."""
        return signal.Signals(self.signum).name if self.signum is not None else None

    @property
    def exit_code(self) -> int:
        """Exit code for the received signal (0 when none came)."""
        return exit_code_for(self.signum) if self.signum is not None else 0
