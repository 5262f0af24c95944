"""Code evidence: facts about the training code, read with `ast.parse` (never imported, never executed).

Every fact carries the file (relative to the project root) and the line it was seen on.
The package is layered, each module depending only on those above it:

- `facts`: the fact types probes read (`CodeEvidence`, `Call`, `LoopCall`, `Interval`, ...);
- `syntax`: small helpers over syntax trees;
- `scan`: the per-file scan (calls with loop depth and guards, assignments, returns, options);
- `pathflow`: progress and liveness file paths followed into the parameters of the code that writes them;
- `intervals`: checkpoint intervals declared in code, with their unit;
- `effects`: what one call site does by itself (save, load, log, progress, heartbeat, ...);
- `hooks`: hook methods a runner calls by name, added to the calls that name them;
- `flow`: the whole-program analysis (effects through helpers, resume and discovery data
  flow, reachability from the entry point, threads, `__main__` / CLI wiring);
- `frameworks`: what Lightning / transformers / event-engine calls say, read from the same
  scans into the same facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.config import ProjectConfig
from auditor.evidence.code.facts import (AUTORESUME, DISCOVERY, HEARTBEAT, LOAD, LOG, PROGRESS, SAVE, Call,
                                         CodeEvidence, Effect, Function, Interval, Loop, LoopCall, MainCall, Param,
                                         ResumeLoad, ThreadStart, effect_rank)
from auditor.evidence.code.sources import python_files


def collect(config: ProjectConfig) -> CodeEvidence:
    """Parse the configured source files and derive the facts the code probes need (kept by
    auditor.colcache for the next audit that reads the same files with the same configuration)."""
    from auditor import colcache

    paths = python_files(config.root, [*config.source, config.entry_point.partition(":")[0], config.main_module])
    listed = [p.relative_to(config.root).as_posix() for p in paths]
    return colcache.column("code", config.root, (config, listed), lambda: _collect(config, paths))


def _collect(config: ProjectConfig, paths: list[Path]) -> CodeEvidence:
    # the analysis layers are imported here, when a column is computed: an audit that finds it in
    # auditor.colcache loads none of them (a fifth of a warm audit of this repository)
    from auditor.evidence.code.configfiles import read as read_configs
    from auditor.evidence.code.flow import analyse
    from auditor.evidence.code.frameworks import add_framework_evidence, site_tags
    from auditor.evidence.code.intervals import declared_intervals, save_intervals
    from auditor.evidence.code.pathflow import follow as follow_paths
    from auditor.evidence.code.scan import scan_files

    scanned = scan_files(config.root, paths, config.progress_files)
    found = getattr(config, "discovery", None)
    configs = read_configs(config.root, tuple(getattr(found, "config_files", ()) or ()),
                           tuple(getattr(found, "named_configs", ()) or ()))
    follow_paths(scanned.scans, configs.built())
    ev = CodeEvidence(root=config.root, entry_point=config.entry_point)
    ev.files = tuple(s.rel for s in scanned.scans)
    ev.errors = scanned.errors
    analysis = analyse(ev, scanned.scans, config, site_tags(scanned.scans), configs.nodes)
    ev.intervals = tuple(declared_intervals(scanned.scans, config.interval_parameters))
    ev.save_intervals = tuple(save_intervals(ev.loop_calls))
    ev.errors = ev.errors + tuple(configs.errors)
    add_framework_evidence(ev, list(scanned.scans), analysis, configs)
    return ev


__all__ = [
    "AUTORESUME", "DISCOVERY", "HEARTBEAT", "LOAD", "LOG", "PROGRESS", "SAVE", "Call", "CodeEvidence", "Effect",
    "Function", "Interval", "Loop", "LoopCall", "MainCall", "Param", "ResumeLoad", "ThreadStart", "collect",
    "effect_rank", "parse_interval",
]


def __getattr__(name: str) -> Any:
    if name == "parse_interval":  # with the analysis layers, on first use
        from auditor.evidence.code.intervals import parse_interval

        return parse_interval
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
