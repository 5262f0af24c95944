"""Regenerate tests/corpus/nodocs's run folder (checkpoints/): one session, no restart.

    /work/sidevenv/bin/python tests/corpus/_make/nodocs.py            # run + mtimes
    /work/sidevenv/bin/python tests/corpus/_make/nodocs.py --mtimes-only

The project documents no command; `python train.py` from its folder is how a script like it is
run. It writes its own log (checkpoints/train.log). Then every file under the project is
recorded with its mtime in _mtimes/nodocs.json.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "nodocs"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "nodocs.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def run():
    shutil.rmtree(PROJECT / "checkpoints", ignore_errors=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    subprocess.run(["nice", "-n", "10", sys.executable, "train.py"], cwd=PROJECT, env=env,
                   check=True, stderr=subprocess.DEVNULL)  # the console copy of checkpoints/train.log


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    record_mtimes()
