"""Standalone scripts beside the training: files run on their own (a `__main__` block, or loops at
their top level) that no other file of the project imports or names.

When the entry point is a script or a module rather than a function, the code column searches
every function for the training loop; a conversion or plotting tool that loops over checkpoints
and saves each one is not the training loop, and its saves, progress writes and loads must not
decide a cell (a false ✅: a tool's loop taken for periodic checkpoints and auto-resume).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from auditor.entrypoints import imported_names, module_names, module_of
from auditor.evidence.code.scan import FileScan

def _runs_alone(scan: FileScan) -> bool:
    """A `__main__` block that does something, or a loop at the module's top level."""
    return bool(scan.main_block.calls) or bool(scan.module.loops)


def standalone_scripts(scans: Iterable[FileScan], keep: Iterable[str]) -> set[str]:
    """The files (relative paths) of `scans` that run on their own and that no other file imports
    or names (by path, file name or dotted module); `keep` (the entry file, the main module) never."""
    scans = list(scans)
    imported = set().union(*(imported_names(s.rel, s.text) for s in scans)) if scans else set()
    kept = set(keep)
    out: set[str] = set()
    for scan in scans:
        if scan.rel in kept or not _runs_alone(scan) or PurePosixPath(scan.rel).name in ("__init__.py", "__main__.py"):
            continue
        if module_names(scan.rel) & imported:
            continue
        named = {scan.rel, PurePosixPath(scan.rel).name}
        dotted = module_of(scan.rel)
        if "." in dotted:
            named.add(dotted)
        if any(name in other.text for other in scans if other is not scan for name in named):
            continue
        out.add(scan.rel)
    return out
