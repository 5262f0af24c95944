"""The zero-configuration score: `audit check` on every corpus project against its hand labels.

    .venv/bin/python bench/corpus_score.py [PROJECT ...] [--cells] [--json PATH]

Each tests/corpus/<p> (a folder holding expected.yaml) is copied to a temporary folder
without its expected.yaml (the labels are ours, not the project's), the modification times
in tests/corpus/_mtimes/<p>.json are restored (git keeps none), and `audit check --project
<copy> --format json` runs on it with no configuration and no --run: what the auditor reads
is what it discovers. A cell is right when the auditor's verdict equals the label; an
auditor ✅ where the label is not `yes` is a false ✅, listed whatever the score.

Prints the cells right per project and per column, every false ✅, and with --cells every
wrong cell (label, verdict, the label's reason and the auditor's summary).
tests/auditor/test_corpus_score.py fails when the score drops below its floor or a false ✅
appears.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
MTIMES = CORPUS / "_mtimes"
COLUMNS = ("docs", "code", "tested", "working")
VERDICTS = ("yes", "partial", "no", "no evidence", "n/a")
LABELS_FILE = "expected.yaml"


@dataclass(frozen=True)
class CellScore:
    """One labelled cell and what the auditor said."""

    project: str
    rule: str
    column: str
    expected: str
    got: str
    label_at: str | None
    label_why: str
    summary: str

    @property
    def right(self) -> bool:
        return self.expected == self.got

    @property
    def false_yes(self) -> bool:
        return self.got == "yes" and self.expected != "yes"


@dataclass(frozen=True)
class ProjectScore:
    project: str
    cells: tuple[CellScore, ...]
    read_line: str  # what the auditor says it read
    seconds: float

    @property
    def right(self) -> int:
        return sum(c.right for c in self.cells)


def label_verdict(value: Any, where: str) -> str:
    """A label's verdict: YAML booleans (a bare yes / no) and strings both accepted."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str) and value.strip().lower() in VERDICTS:
        return value.strip().lower()
    raise ValueError(f"{where}: verdict {value!r} is not one of {', '.join(VERDICTS)}")


def projects(corpus: Path = CORPUS) -> list[str]:
    """Corpus projects: folders holding an expected.yaml, by name."""
    return sorted(p.name for p in corpus.iterdir() if p.is_dir() and (p / LABELS_FILE).is_file())


def load_labels(name: str, corpus: Path = CORPUS) -> dict[tuple[str, str], dict[str, Any]]:
    """(rule, column) -> {verdict, at, why} of one project's expected.yaml."""
    path = corpus / name / LABELS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for rule, columns in (data.get("cells") or {}).items():
        for column in COLUMNS:
            cell = columns[column]
            out[(rule, column)] = {"verdict": label_verdict(cell.get("verdict"), f"{path}: {rule}.{column}"),
                                   "at": cell.get("at"), "why": str(cell.get("why", ""))}
    return out


def stage(name: str, into: Path, corpus: Path = CORPUS) -> Path:
    """Copy one corpus project under `into`, drop its labels, restore its recorded mtimes."""
    dest = into / name
    shutil.copytree(corpus / name, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (dest / LABELS_FILE).unlink()
    mtimes_file = corpus / "_mtimes" / f"{name}.json"
    if mtimes_file.is_file():
        for rel, mtime in json.loads(mtimes_file.read_text(encoding="utf-8")).items():
            target = dest / rel
            if target.is_file() and not target.is_symlink():
                os.utime(target, (mtime, mtime))
    return dest


def audit(project: Path) -> dict[str, Any]:
    """`audit check --project PROJECT --format json`, in this process, with no configuration."""
    from click.testing import CliRunner

    from auditor.cli import main

    result = CliRunner().invoke(main, ["check", "--project", str(project), "--format", "json",
                                       "--date", "2026-01-25"])
    if result.exit_code not in (0, 1):
        raise RuntimeError(f"audit check on {project.name} exited {result.exit_code}:\n{result.output[-3000:]}")
    return json.loads(result.output)


def score_project(name: str, corpus: Path = CORPUS) -> ProjectScore:
    labels = load_labels(name, corpus)
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        staged = stage(name, Path(tmp), corpus)
        start = time.perf_counter()
        result = audit(staged)
        seconds = time.perf_counter() - start
    got = {(r["id"], c): cell for r in result["rules"] for c, cell in r["cells"].items()}
    cells = []
    for (rule, column), label in sorted(labels.items()):
        cell = got.get((rule, column))
        cells.append(CellScore(name, rule, column, label["verdict"], cell["verdict"] if cell else "(missing)",
                               label["at"], label["why"], cell["summary"] if cell else ""))
    return ProjectScore(name, tuple(cells), str(result.get("read", "")), seconds)


def score(names: Iterable[str] | None = None, corpus: Path = CORPUS) -> list[ProjectScore]:
    return [score_project(n, corpus) for n in (projects(corpus) if names is None else names)]


def _pct(right: int, total: int) -> str:
    return f"{100 * right / total:.1f}%" if total else "-"


def report(scores: list[ProjectScore], cells: bool = False) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import table

    out = []
    rows = []
    for s in scores:
        per = [sum(c.right for c in s.cells if c.column == col) for col in COLUMNS]
        n = [sum(1 for c in s.cells if c.column == col) for col in COLUMNS]
        rows.append([s.project, *(f"{r}/{t}" for r, t in zip(per, n)), f"{s.right}/{len(s.cells)}",
                     _pct(s.right, len(s.cells)), sum(c.false_yes for c in s.cells), f"{s.seconds:.2f}"])
    all_cells = [c for s in scores for c in s.cells]
    right = sum(c.right for c in all_cells)
    per_col = [(sum(c.right for c in all_cells if c.column == col), sum(1 for c in all_cells if c.column == col))
               for col in COLUMNS]
    rows.append(["**all**", *(f"{r}/{t}" for r, t in per_col), f"{right}/{len(all_cells)}",
                 _pct(right, len(all_cells)), sum(c.false_yes for c in all_cells), ""])
    out.append("Cells right per project (label = the auditor's verdict):\n")
    out.append(table(["project", "In Docs?", "In Code?", "Tested?", "Working?", "cells", "right", "false ✅",
                      "audit s"], rows))
    out.append("\nPer column:\n")
    out.append(table(["column", "right", "cells", "right %"],
                     [[col, r, t, _pct(r, t)] for col, (r, t) in zip(COLUMNS, per_col)]))
    false_yes = [c for c in all_cells if c.false_yes]
    out.append(f"\nFalse ✅: {len(false_yes)}")
    for c in false_yes:
        out.append(f"- {c.project} {c.rule}.{c.column}: label {c.expected} ({c.label_why}); auditor: {c.summary}")
    if cells:
        wrong = [c for c in all_cells if not c.right]
        out.append(f"\nWrong cells: {len(wrong)}")
        for c in wrong:
            out.append(f"- {c.project} {c.rule}.{c.column}: label {c.expected} at {c.label_at} ({c.label_why})\n"
                       f"    auditor {c.got}: {c.summary}")
    out.append("\nWhat the auditor read:")
    out += [f"- {s.project}: {s.read_line}" for s in scores]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="*", help="corpus projects [default: all]")
    parser.add_argument("--cells", action="store_true", help="list every wrong cell")
    parser.add_argument("--json", type=Path, default=None, help="also write every cell as JSON here")
    args = parser.parse_args(argv)
    scores = score(args.projects or None)
    print(report(scores, cells=args.cells), end="")
    if args.json is not None:
        args.json.write_text(json.dumps([c.__dict__ for s in scores for c in s.cells], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
