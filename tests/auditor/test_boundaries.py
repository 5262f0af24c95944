"""The auditor stands alone: none of its modules imports magvit or torch (or numpy, torch's companion).

Checked in a fresh interpreter, so that nothing an earlier test imported hides an import.
The import-linter contracts in pyproject.toml (run by .ci/run) say the same statically.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, json, pkgutil, sys
import auditor
for info in pkgutil.walk_packages(auditor.__path__, "auditor."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("magvit", "torch", "numpy"))))
"""


def test_importing_every_auditor_module_loads_no_magvit_torch_or_numpy() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_import_time_of_the_cli_lists_no_torch_or_magvit_module() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import auditor.cli"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")]
    assert "auditor.cli" in modules
    assert not [m for m in modules if m.split(".")[0] in ("torch", "magvit")], modules


def test_the_import_contracts_are_kept() -> None:
    """import-linter's contracts (pyproject.toml): the auditor imports neither magvit nor torch,
    and no sibling modules or packages of auditor or magvit import each other in a cycle."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "2 kept, 0 broken" in done.stdout
