"""Record deepspeed_style's mtimes; there is nothing to run.

    /work/sidevenv/bin/python /work/holdout2/_make/deepspeed_style.py

DeepSpeed is not installed in the side venv (and its launcher and ops want CUDA), so the
project was never launched here and its pytest suite never ran: no run folder and no JUnit
file (its labels say run: null). This script only writes every file under the project with
its mtime into _mtimes/deepspeed_style.json.
"""

import json
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "deepspeed_style"
MTIMES = HOLDOUT / "_mtimes" / "deepspeed_style.json"
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
