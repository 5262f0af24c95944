"""Where a drill result is written and looked for: apart from auditor.drill.result, so that an
audit finds out whether a run has one without loading the drill's records and settings."""

from __future__ import annotations

from pathlib import Path

LATEST = Path("artifacts") / "drill" / "latest.json"


def result_paths(project: Path, run_dir: Path | None) -> list[tuple[Path, Path]]:
    """Where a drill result is looked for, first found first: (file, the folder it is shown relative to)."""
    found = [(run_dir / "drill.json", run_dir)] if run_dir is not None else []
    return found + [(project / LATEST, project)]
