"""Shared helpers for the bench/ scripts: child-process timing with peak memory, medians, tables.

Figures are measured in child processes (the tool as a user runs it); peak memory is the
child's own ru_maxrss from os.wait4, not the benchmark's.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable


@dataclass(frozen=True)
class ChildRun:
    """One child process: wall seconds, CPU seconds (user + system), peak resident memory (MB),
    exit code, captured output. CPU seconds move less than wall time when others load the machine."""

    wall_s: float
    cpu_s: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: str | Path | None = None) -> ChildRun:
    """Run `cmd` to completion; its wall time and its own peak RSS (ru_maxrss is KiB on Linux)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
        out.seek(0)
        err.seek(0)
        return ChildRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def repeat(cmd: Sequence[str], times: int = 3, env: dict[str, str] | None = None,
           ok: Iterable[int] = (0, 1)) -> tuple[float, float, list[ChildRun]]:
    """Median wall seconds and median peak MB of `times` runs; raises if a run exits outside `ok`."""
    runs = []
    allowed = set(ok)
    for _ in range(times):
        r = run_child(cmd, env)
        if r.returncode not in allowed:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-2000:]}")
        runs.append(r)
    return statistics.median(r.wall_s for r in runs), statistics.median(r.peak_mb for r in runs), runs


def median_cpu(runs: Sequence[ChildRun]) -> float:
    return statistics.median(r.cpu_s for r in runs)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table; `align` is one character per column ('l' or 'r', default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if v != v:
            return "-"
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def machine_line() -> str:
    """When and where: UTC time, CPU count, load average (other work on the machine skews timings)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"measured {now}; {os.cpu_count()} CPUs; load average {load}; Python {sys.version.split()[0]}"
