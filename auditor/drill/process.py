"""Process control for the drill: start a training command in its own process group, SIGKILL
the whole group (launchers' workers included), wait until every process is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_POLL_S = 0.002


class TrainerProcess:
    """The training command in its own process group, its output read line by line with times."""

    def __init__(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> None:
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\r\n")))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, and descendants that left it, and wait for them to be gone.

        Launchers such as torchrun start each worker in a session of its own: killing the
        group alone would leave the workers writing checkpoints after the kill is recorded.
        """
        strays = _descendants(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        _wait_gone(strays, timeout=5.0)
        self._reader.join(timeout=5)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to end by itself."""
        try:
            self.proc.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=5)
        return True


def _process_table() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, state letter)} from /proc; empty where there is no /proc."""
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
        if len(fields) >= 2:
            table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def _descendants(root: int) -> list[int]:
    """Every live descendant of `root`, whatever its process group or session."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in _process_table().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _wait_gone(pids: Sequence[int], timeout: float) -> None:
    """Wait until none of `pids` runs any more (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = _process_table()
        if all(table.get(pid, (0, "Z"))[1] in ("Z", "X") for pid in pids):
            return
        time.sleep(_POLL_S)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # lines must reach the drill before the kill, not sit in a buffer
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    return env
