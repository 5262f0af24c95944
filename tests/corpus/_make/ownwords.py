"""Regenerate tests/corpus/ownwords: its JUnit XML and its demo run (outputs/demo/).

    /work/sidevenv/bin/python tests/corpus/_make/ownwords.py            # tests + run, ~5 min
    /work/sidevenv/bin/python tests/corpus/_make/ownwords.py --mtimes-only

The tests run as AGENTS.md says (`python -m pytest --junitxml=test-reports/junit.xml`).
The run is one session of the README's command (`python train.py --config
configs/demo.toml`) at the project's default `persist_every_s` (90 s): two or more
wall-clock saves and the end-of-training save, no crash. Then every file under the project
is recorded with its mtime in _mtimes/ownwords.json.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "ownwords"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "ownwords.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run():
    shutil.rmtree(PROJECT / "test-reports", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=test-reports/junit.xml"], cwd=PROJECT, env=env(), check=True)

    shutil.rmtree(PROJECT / "outputs", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", sys.executable, "train.py", "--config", "configs/demo.toml"],
                   cwd=PROJECT, env=env(), check=True)
    log = (PROJECT / "outputs" / "demo" / "train.log").read_text()
    print(f"run finished; {log.count('persisted state-')} persists in the log")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    record_mtimes()
