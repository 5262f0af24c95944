"""Probe modules, one per evidence kind; importing this package fills auditor.model.PROBES."""

from __future__ import annotations

import importlib

KINDS = ("docs", "code", "tests", "tdd", "run")

# Kinds whose probe module is absent from this installation. Rules naming their probes are
# reported by `audit rules lint` as unknown probes and evaluate to ERROR cells; an import
# error *inside* a probe module is not swallowed.
MISSING: list[str] = []

for _kind in KINDS:
    _name = f"{__name__}.{_kind}"
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        MISSING.append(_kind)
