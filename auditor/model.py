"""The auditor's shared vocabulary: verdicts, citations, probe results and the probe registry.

Everything here is a frozen value or a pure function; evidence collectors and renderers
build on it, and nothing here reads files.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


class Verdict(str, enum.Enum):
    """One cell of the compliance matrix. NO_EVIDENCE is never counted as a pass."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NOT_APPLICABLE = "n/a"
    NO_EVIDENCE = "no evidence"
    ERROR = "error"  # the probe itself failed; reported, never a pass


# The outcome of a check that passes or fails as a whole (a gate item, a drill check, a gate,
# a drill, a comparison): one vocabulary for the gate, the drill and `audit compare`.
PASS, FAIL, SKIP, NO_EVIDENCE = "pass", "fail", "skip", "no evidence"
OUTCOMES = (PASS, FAIL, SKIP, NO_EVIDENCE)

COLUMNS = ("docs", "code", "tested", "working")
COLUMN_TITLES = {"docs": "In Docs?", "code": "In Code?", "tested": "Tested?", "working": "Working?"}


@dataclass(frozen=True)
class Citation:
    """Where a piece of evidence came from: a file and line range, a test id, a checkpoint."""

    source: str  # a path relative to the project (or run) root, or a test id
    line: int | None = None
    end_line: int | None = None
    detail: str = ""  # what was seen there: a code excerpt, an outcome, a measured value

    def location(self) -> str:
        if self.line is None:
            return self.source
        if self.end_line is None or self.end_line == self.line:
            return f"{self.source}:{self.line}"
        return f"{self.source}:{self.line}-{self.end_line}"


@dataclass(frozen=True)
class ProbeResult:
    """What one probe concluded, and why."""

    verdict: Verdict
    summary: str  # one sentence a person reads in the matrix cell or gap list
    citations: tuple[Citation, ...] = ()
    measured: Mapping[str, Any] = field(default_factory=dict)  # figures, e.g. {"median_gap_s": 52.1}


ProbeFn = Callable[..., ProbeResult]
PROBES: dict[str, ProbeFn] = {}


def probe(name: str) -> Callable[[ProbeFn], ProbeFn]:
    """Register a probe under `name` ("<kind>.<what>"); rules refer to probes by this name.

    A probe is called as fn(evidence, **params) where `evidence` is an
    auditor.evidence.Evidence (lazily collected facts about the project and run) and
    params come from the rule file. It returns a ProbeResult and must not raise for
    ordinary missing evidence (return NO_EVIDENCE instead).
    """

    def register(fn: ProbeFn) -> ProbeFn:
        if name in PROBES:
            raise ValueError(f"probe {name!r} registered twice")
        PROBES[name] = fn
        return fn

    return register
