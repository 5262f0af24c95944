"""Scheduler signals. SLURM sends USR1 (--signal=USR1@120 in scripts/requeue.sh) before the
time limit and TERM on preemption. We only note the signal here; the loop checks the flag
between two steps, saves, and exits with REQUEUE_EXIT so the launcher knows to go again."""

import signal

REQUEUE_EXIT = 99


class PreemptFlag:
    def __init__(self):
        self.signame = None

    def install(self, signums=(signal.SIGUSR1, signal.SIGTERM)):
        for s in signums:
            signal.signal(s, self._on_signal)
        return self

    def _on_signal(self, signum, _frame):
        self.signame = signal.Signals(signum).name

    @property
    def requested(self) -> bool:
        return self.signame is not None
