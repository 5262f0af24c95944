"""Record fastai_style's mtimes; there is nothing to run.

    /work/sidevenv/bin/python /work/holdout2/_make/fastai_style.py

fastai (and fastcore) are not installed in the side venv, so the project was never trained
here and its pytest suite never ran: no run folder and no JUnit file (its labels say run:
null). This script only writes every file under the project with its mtime into
_mtimes/fastai_style.json.
"""

import json
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "fastai_style"
MTIMES = HOLDOUT / "_mtimes" / "fastai_style.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    record_mtimes()
