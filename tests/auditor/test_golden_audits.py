"""No behaviour lost: `audit check --format json` on fixed inputs equals committed goldens.

The inputs never change, so any difference is a change of the auditor's behaviour:

- this repository as it was at GOLDEN_COMMIT (extracted with `git archive`; the live
  repository changes with every commit of magvit/ or artifacts/tdd/, which is not the
  auditor's behaviour), alone and with tests/fixtures/compliant_run as its run;
- every fixture project and run under tests/fixtures/ (seed_project with its run,
  hf_project, lightning_project, foreign_restart_project with its run), read with the
  built-in rules of this checkout.

Each input is copied into a temporary folder whose files all get one old mtime, so that
nothing depends on when the checkout was made (a manifest-less checkpoint younger than 30 s
counts as "being written"). Compared: verdicts, citations, summaries, measured values, gaps,
the gate and the exit code; only the temporary folder's path is replaced by a placeholder.

A legitimate behaviour change updates the goldens, with a commit message saying why:

    .venv/bin/python tests/auditor/test_golden_audits.py --update
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
GOLDENS = Path(__file__).resolve().parent / "goldens"
# main when the goldens were first made (issue 13, before evidence/code.py and drill.py were split)
GOLDEN_COMMIT = "08c1553f1ce5d2db51dbaa319bf776a91d080f05"
DATE = "2026-01-25"
OLD_MTIME = 1_767_225_600  # 2026-01-01T00:00:00Z: long before any run, never "being written"


@dataclass(frozen=True)
class Case:
    name: str
    project: str  # "repo" for this repository at GOLDEN_COMMIT, else a folder under tests/fixtures
    run: str | None = None  # a folder under tests/fixtures


CASES = (
    Case("repository", "repo"),
    Case("repository-compliant-run", "repo", "compliant_run"),
    Case("seed-project", "seed_project", "seed_project/results/magvit_training"),
    Case("hf-project", "hf_project"),
    Case("lightning-project", "lightning_project"),
    Case("foreign-restart-project", "foreign_restart_project", "foreign_restart_project/results/run"),
)


def _age(folder: Path) -> None:
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            os.utime(Path(dirpath) / name, (OLD_MTIME, OLD_MTIME))


def _repository_at(commit: str, dest: Path) -> Path:
    """This repository's tree at `commit`, extracted into `dest`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit], capture_output=True)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {commit} failed (a clone with its history is needed): "
                           f"{archive.stderr.decode(errors='replace').strip()}")
    tar_path = dest.parent / "snapshot.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    tar_path.unlink()
    return dest


def _prepare(case: Case, workdir: Path) -> tuple[Path, Path | None]:
    if case.project == "repo":
        project = _repository_at(GOLDEN_COMMIT, workdir / "project")
    else:
        project = Path(shutil.copytree(FIXTURES / case.project, workdir / "project"))
    run = None
    if case.run is not None:
        run = Path(shutil.copytree(FIXTURES / case.run, workdir / "run"))
    _age(workdir)
    return project, run


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    if isinstance(value, str):
        return value.replace(old, new)
    return value


def audit_json(case: Case, workdir: Path) -> dict[str, Any]:
    """`audit check --format json` of one case, with the temporary folder's path replaced by <tmp>."""
    from click.testing import CliRunner

    from auditor.cli import main

    project, run = _prepare(case, workdir)
    args = ["check", "--project", str(project), "--format", "json", "--date", DATE]
    if run is not None:
        args += ["--run", str(run)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code in (0, 1), f"{case.name}: exit {res.exit_code}\n{res.output}"
    return _replace(json.loads(res.output), str(workdir.resolve()), "<tmp>")


def _golden_path(case: Case) -> Path:
    return GOLDENS / f"{case.name}.json"


def _differences(expected: Any, got: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(expected) | set(got)):
            if key not in got:
                out.append(f"{where}/{key}: missing")
            elif key not in expected:
                out.append(f"{where}/{key}: new: {got[key]!r}"[:300])
            else:
                out += _differences(expected[key], got[key], f"{where}/{key}")
        return out
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [d for i, (e, g) in enumerate(zip(expected, got)) for d in _differences(e, g, f"{where}[{i}]")]
    return [] if expected == got else [f"{where}: {expected!r} -> {got!r}"[:400]]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_audit_equals_its_golden(case: Case, tmp_path: Path) -> None:
    golden = json.loads(_golden_path(case).read_text(encoding="utf-8"))
    got = audit_json(case, tmp_path)
    diffs = _differences(golden, got)
    assert not diffs, (f"{case.name}: {len(diffs)} differences from {_golden_path(case).name} "
                       "(if intended: .venv/bin/python tests/auditor/test_golden_audits.py --update)\n"
                       + "\n".join(diffs[:40]))


def test_goldens_cover_every_fixture_project_and_run() -> None:
    """A fixture project or run added later gets a golden too (drill trainers and the SARIF schema are not audits)."""
    audited = {c.project for c in CASES} | {c.run for c in CASES if c.run}
    audited |= {c.run.split("/")[0] for c in CASES if c.run}
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("drill", "sarif", "__pycache__")}
    assert folders <= audited, f"fixtures with no golden case: {sorted(folders - audited)}"


def update() -> None:
    GOLDENS.mkdir(exist_ok=True)
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            data = audit_json(case, Path(tmp))
        _golden_path(case).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {_golden_path(case).relative_to(REPO)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/auditor/test_golden_audits.py --update")
    sys.path.insert(0, str(REPO))
    update()
