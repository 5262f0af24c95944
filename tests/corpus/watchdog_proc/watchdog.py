"""A watchdog process: reads the trainer's shared step counter and rewrites alive.json.

It runs in its own process, so it keeps writing while the trainer's main thread is stuck
(in a slow batch, a hung collective, a deadlocked loader): a fresh alive.json with a step
that does not move means "stuck", a stale alive.json means "dead".
"""

import json
import multiprocessing as mp
import os
import time
from datetime import datetime
from pathlib import Path


def _write(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def watch(counter, stop, path, trainer_pid, period):
    path = Path(path)
    started = datetime.now().isoformat(timespec="seconds")
    last_step, last_move, beat = -1, time.monotonic(), 0
    while True:
        step = counter.value
        now = time.monotonic()
        if step != last_step:
            last_step, last_move = step, now
        beat += 1
        _write(path, {
            "trainer_pid": trainer_pid,
            "watchdog_pid": os.getpid(),
            "step": step,
            "beat": beat,
            "watchdog_started": started,
            "time": datetime.now().isoformat(timespec="seconds"),
            "step_unchanged_s": round(now - last_move, 1),
        })
        if stop.wait(period):
            return


def start_watchdog(path, period=15.0):
    """Start the watchdog process; returns (counter, stop_event, process)."""
    ctx = mp.get_context("spawn")
    counter = ctx.Value("q", 0, lock=False)
    stop = ctx.Event()
    proc = ctx.Process(target=watch, args=(counter, stop, str(path), os.getpid(), period),
                       name="watchdog", daemon=True)
    proc.start()
    return counter, stop, proc
