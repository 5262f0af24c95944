"""What discovery costs an audit of this repository, in CPU seconds.

    .venv/bin/python bench/discovery_cost.py [--repeats 9]

Issue 14's target: discovery adds under 0.3 s CPU to an audit of this repository. Measured
in-process with time.process_time (CPU, so less moved by other work on the machine than
wall time), as the median of --repeats rounds after one warm-up round, for:

- discovery as our own audit runs it: this repository's [tool.audit] sets where its code,
  tests, JUnit and TDD records are, so discovery lists the tree and reads no source;
- discovery with nothing configured: every source read for its training loops, every
  candidate JUnit / TDD file sniffed (what a first `audit check` on a foreign project pays);
- the whole audit (`audit check --format json` of this repository, no run directory), for scale;

and for each corpus project, zero-configuration discovery and its whole audit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_line, table  # noqa: E402


def cpu(fn, repeats: int) -> float:
    fn()  # warm-up: imports, file system cache
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def audit_json(project: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    out = CliRunner().invoke(main, ["check", "--project", str(project), "--format", "json", "--date", "2026-01-25"])
    if out.exit_code not in (0, 1):
        raise RuntimeError(out.output[-2000:])
    json.loads(out.output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)

    from auditor.config import load_config
    from auditor.discovery import discover
    from auditor.resolve import resolve

    ours = load_config(ROOT)
    configured = cpu(lambda: resolve(ours), args.repeats)
    bare = cpu(lambda: discover(ROOT), args.repeats)
    whole = cpu(lambda: audit_json(ROOT), max(3, args.repeats // 3))
    found = discover(ROOT)
    print(machine_line())
    print(f"\nThis repository ({len(found.sources)} sources, {len(found.tests)} test files, "
          f"{len(found.documents)} documents, {len(found.tdd)} TDD records), median CPU seconds of "
          f"{args.repeats} rounds:\n")
    print(table(["what", "CPU s", "share of the audit"],
                [["discovery as our audit runs it (configured keys skipped)", configured, f"{configured / whole:.0%}"],
                 ["discovery with nothing configured", bare, f"{bare / whole:.0%}"],
                 ["the whole audit (audit check --format json)", whole, "100%"]]))
    verdict = "under" if configured < 0.3 else "OVER"
    print(f"\nTarget: discovery adds under 0.3 s CPU to an audit of this repository: {configured:.3f} s ({verdict}).")

    sys.path.insert(0, str(ROOT / "bench"))
    from corpus_score import projects, stage

    rows = []
    with tempfile.TemporaryDirectory(prefix="discovery-cost-") as tmp:
        for name in projects():
            staged = stage(name, Path(tmp))
            rows.append([name, cpu(lambda p=staged: discover(p), args.repeats),
                         cpu(lambda p=staged: audit_json(p), max(3, args.repeats // 3))])
    print("\nCorpus projects, zero configuration (median CPU seconds):\n")
    print(table(["project", "discovery", "whole audit"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
