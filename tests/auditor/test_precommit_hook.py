"""The pre-commit hooks (.pre-commit-hooks.yaml), tried for real with `pre-commit try-repo` on a
fixture git repository that is not this one: pre-commit installs this distribution into the
hook's environment (without torch) and runs `audit`. Slow: pre-commit builds that environment
from the package index, as it would on a user's machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOREIGN = REPO / "tests" / "fixtures" / "seed_project"

pytestmark = pytest.mark.slow


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})


@pytest.fixture(scope="module")
def tried(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <this repository>` with both hooks on a fixture repository."""
    work = tmp_path_factory.mktemp("hook")
    project = Path(shutil.copytree(FOREIGN, work / "project"))
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "a training project", cwd=project)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PRE_COMMIT_HOME"] = str(work / "pre-commit-home")  # its hook environments, kept out of ~/.cache
    pre_commit = Path(sys.executable).with_name("pre-commit")
    done = subprocess.run([str(pre_commit), "try-repo", str(REPO), "--all-files", "--hook-stage", "manual",
                           "--verbose"], cwd=project, capture_output=True, text=True, env=env, timeout=900)
    return done


def test_both_hooks_run_audit_and_report(tried: subprocess.CompletedProcess[str]) -> None:
    out = tried.stdout + tried.stderr
    assert "audit rules lint" in out and "audit check" in out, out[-4000:]
    lint_line = next(line for line in out.splitlines() if line.startswith("audit rules lint"))
    assert lint_line.rstrip().endswith("Passed"), out[-4000:]
    check_line = next(line for line in out.splitlines() if line.startswith("audit check"))
    assert check_line.rstrip().endswith("Failed"), out[-4000:]  # the seed project is not compliant
    assert "- exit code: 1" in out  # non-compliant, not a usage (2) or internal (3) error
    assert "Requirement" in out and "Periodic Checkpoints" in out and "gate prelaunch: 0/8 rules pass" in out


def test_a_config_naming_the_hooks_installs_them_without_torch(tmp_path: Path) -> None:
    """As a user configures it: `.pre-commit-config.yaml` naming this repository at its committed
    HEAD; the hook environment pre-commit keeps has the auditor and no torch."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    project = Path(shutil.copytree(FOREIGN, tmp_path / "project"))
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head.stdout.strip()}\n    hooks:\n      - id: audit-rules-lint\n",
        encoding="utf-8")
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "a training project", cwd=project)
    home = tmp_path / "pre-commit-home"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PRE_COMMIT_HOME"] = str(home)
    pre_commit = Path(sys.executable).with_name("pre-commit")
    done = subprocess.run([str(pre_commit), "run", "--all-files"], cwd=project, capture_output=True, text=True,
                          env=env, timeout=900)
    assert done.returncode == 0 and "Passed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    pythons = sorted(home.glob("repo*/py_env-*/bin/python"))
    assert pythons, f"no hook environment under {home}"
    for python in pythons:
        show = subprocess.run([str(python), "-m", "pip", "show", "torch"], capture_output=True, text=True)
        assert show.returncode != 0, show.stdout
        audit = subprocess.run([str(python), "-c", "import auditor.cli, sys; print('torch' in sys.modules)"],
                               capture_output=True, text=True)
        assert audit.stdout.strip() == "False", audit.stdout + audit.stderr
