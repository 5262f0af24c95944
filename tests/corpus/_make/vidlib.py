"""Regenerate tests/corpus/vidlib's JUnit file; vidlib is a library, so there is no run.

    /work/sidevenv/bin/python tests/corpus/_make/vidlib.py            # tests + mtimes
    /work/sidevenv/bin/python tests/corpus/_make/vidlib.py --mtimes-only

Runs the project's tests as its CONTRIBUTING.md says (`pytest --junitxml=test-results/junit.xml`),
then records every file under the project with its mtime in _mtimes/vidlib.json.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "vidlib"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "vidlib.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def run_tests():
    shutil.rmtree(PROJECT / "test-results", ignore_errors=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=test-results/junit.xml"], cwd=PROJECT, env=env, check=True)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
    record_mtimes()
