"""Record tests/corpus/jaxorbax's mtimes; there is nothing to run.

    /work/sidevenv/bin/python tests/corpus/_make/jaxorbax.py

jaxorbax needs JAX, Flax, Orbax and TensorFlow, none of which is installed in the side venv
(and none is worth installing for it), so it has no run folder and no JUnit file: its labels
say so (run: null). This script only writes every file under the project with its mtime into
_mtimes/jaxorbax.json, like the other generators' last step.
"""

import json
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "jaxorbax"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "jaxorbax.json"
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
