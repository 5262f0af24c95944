"""Evidence: the facts probes look at, collected lazily and at most once per kind.

`ev.docs`, `ev.code`, `ev.tests`, `ev.tdd` and `ev.run` call
`auditor.evidence.<kind>.collect(config)` (the run: `collect(config, run_dir)`) on first
access and keep the result. A collector that raises is not cached, so the error reaches
every probe that needs that kind and each becomes an ERROR cell.
"""

from __future__ import annotations

import importlib
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

    @staticmethod
    def _collector(kind: str) -> Any:
        return importlib.import_module(f"auditor.evidence.{kind}").collect

    @cached_property
    def docs(self) -> Any:
        return self._collector("docs")(self.config)

    @cached_property
    def code(self) -> Any:
        from auditor.resolve import code_view

        return self._collector("code")(code_view(self.config))

    @cached_property
    def tests(self) -> Any:
        return self._collector("tests")(self.config)

    @cached_property
    def tdd(self) -> Any:
        return self._collector("tdd")(self.config)

    @cached_property
    def run(self) -> Any:
        return self._collector("run")(self.config, self.run_dir, verify=self.verify_checksums)
