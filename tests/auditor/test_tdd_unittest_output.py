"""TDD records saved from unittest (`python -m unittest`), not pytest: `Ran N tests in Xs` then
`OK` or `FAILED (failures=1, errors=1)`, failing tests as `FAIL: name (module.Class.name)`. Found
by content when named for a phase, counted and dated like pytest's output; a unittest summary in a
file named for no phase is no record."""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

RULE = "-" * 70
RED = f"""\
2026-12-02T10:06:56Z
F.E
{"=" * 70}
ERROR: test_prune_reads_config (tests.test_ckpt.PruneTest.test_prune_reads_config)
{RULE}
Traceback (most recent call last):
AttributeError: module 'pkg.ckpt' has no attribute 'prune'

{"=" * 70}
FAIL: test_prune_keeps_two (tests.test_ckpt.PruneTest.test_prune_keeps_two)
{RULE}
Traceback (most recent call last):
AssertionError: 5 != 2

{RULE}
Ran 3 tests in 0.004s

FAILED (failures=1, errors=1)
"""


def _ok(stamp: str, skipped: int = 0) -> str:
    tail = f"OK (skipped={skipped})" if skipped else "OK"
    return f"{stamp}\n...\n{RULE}\nRan 3 tests in 0.003s\n\n{tail}\n"


def _project(root: Path, files: dict[str, str]) -> Evidence:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "train.py").write_text("loss.backward()\nopt.step()\n", encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def test_unittest_runs_named_for_their_phase_are_a_dated_cycle(tmp_path):
    ev = _project(tmp_path, {"tdd/prune/red.txt": RED, "tdd/prune/green.txt": _ok("2026-12-02T10:07:27Z"),
                             "tdd/prune/refactor.txt": _ok("2026-12-02T10:07:57Z", skipped=1)})
    assert discover(tmp_path).tdd == ("tdd/prune/green.txt", "tdd/prune/red.txt", "tdd/prune/refactor.txt")
    red, green, refactor = ev.tdd.artifacts
    assert (red.phase, red.counts["failed"], red.counts["errors"], red.counts["passed"]) == ("red", 1, 1, 1)
    assert red.names(red.failed) == {"test_prune_keeps_two", "test_prune_reads_config"}
    assert (green.counts["passed"], green.counts["failed"], green.ok) == (3, 0, True)
    assert (refactor.counts["passed"], refactor.counts["skipped"]) == (2, 1)
    result = PROBES["tdd.cycle_complete"](ev)
    assert result.verdict == Verdict.YES, result.summary


def test_a_unittest_summary_in_a_file_named_for_no_phase_is_no_record(tmp_path):
    _project(tmp_path, {"logs/unittest.txt": _ok("2026-12-02T10:07:27Z")})
    assert discover(tmp_path).tdd == ()
