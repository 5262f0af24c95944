"""Evidence: the facts probes look at, collected lazily and at most once per kind.

`ev.docs`, `ev.code`, `ev.tests`, `ev.tdd` and `ev.run` call
`auditor.evidence.<kind>.collect(config)` (the run: `collect(config, run_dir)`) on first
access and keep the result. A collector that raises is not cached, so the error reaches
every probe that needs that kind and each becomes an ERROR cell.

`prefetch(kinds)` starts collecting kinds in a forked child process while the audit goes
on: the code and tests evidence are two thirds of an audit's time and independent, so on
two cores they take the time of one. The child's result comes back pickled when the kind
is first needed; if the child could not give one (its collector raised, or it died), the
kind is collected in this process as without prefetch, so an error surfaces the same way.
"""

from __future__ import annotations

import importlib
import os
import pickle
from functools import cached_property
from pathlib import Path
from typing import Any

from auditor.config import ProjectConfig


class Evidence:
    """Lazily collected facts about one project (and optionally one run directory)."""

    def __init__(self, config: ProjectConfig, run_dir: Path | None = None, verify_checksums: bool = False) -> None:
        self.config = config
        self.run_dir = Path(run_dir).resolve() if run_dir is not None else None
        self.verify_checksums = verify_checksums  # re-hash every manifest checkpoint (reads all their bytes)
        self._pending: dict[str, tuple[int, int]] = {}  # kind -> (child pid, read end of its pipe)

    @staticmethod
    def _collector(kind: str) -> Any:
        return importlib.import_module(f"auditor.evidence.{kind}").collect

    def _collect(self, kind: str) -> Any:
        if kind == "run":
            return self._collector("run")(self.config, self.run_dir, verify=self.verify_checksums)
        return self._collector(kind)(self.config)

    def prefetch(self, kinds: list[str] | tuple[str, ...] = ("tests",)) -> None:
        """Collect `kinds` in forked children while the caller goes on; nothing without os.fork."""
        if not hasattr(os, "fork"):
            return
        for kind in kinds:
            if kind in self.__dict__ or kind in self._pending:
                continue
            self._collector(kind)  # imported here, so the child need not import it again
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: collect, send, and leave without running any of the parent's exit code
                try:
                    os.close(read_end)
                    data = pickle.dumps(self._collect(kind), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:
                    data = b""  # the parent collects again and meets the error itself
                try:
                    with os.fdopen(write_end, "wb") as out:
                        out.write(data)
                finally:
                    os._exit(0)
            os.close(write_end)
            self._pending[kind] = (pid, read_end)

    def __del__(self) -> None:
        # a prefetched kind never asked for: closing the pipe ends its child (a write to a
        # closed pipe fails, and the child exits), then it is reaped
        for pid, read_end in getattr(self, "_pending", {}).values():
            try:
                os.close(read_end)
                os.waitpid(pid, 0)
            except OSError:
                pass

    def _take(self, kind: str) -> Any:
        """The kind's evidence: from its prefetching child when there is one, else collected here."""
        pending = self._pending.pop(kind, None)
        if pending is not None:
            pid, read_end = pending
            with os.fdopen(read_end, "rb") as child_out:
                data = child_out.read()
            os.waitpid(pid, 0)
            if data:
                return pickle.loads(data)
        return self._collect(kind)

    @cached_property
    def docs(self) -> Any:
        return self._take("docs")

    @cached_property
    def code(self) -> Any:
        return self._take("code")

    @cached_property
    def tests(self) -> Any:
        return self._take("tests")

    @cached_property
    def tdd(self) -> Any:
        return self._take("tdd")

    @cached_property
    def run(self) -> Any:
        return self._take("run")
