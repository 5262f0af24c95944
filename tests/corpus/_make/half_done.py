"""Regenerate half_done's JUnit file and its run folder (outputs/).

    /work/sidevenv/bin/python /work/holdout3/_make/half_done.py [--mtimes-only]

1. The README's tests: `pytest --junitxml=test_results.xml` (two of them fail; pytest exits 1).
2. The README's command `python train.py` with config.py's defaults: 5 epochs of 400 batches
   at 0.25 s, about 8.5 minutes, one session, no kill. With CHECKPOINT_EVERY_MIN = 10 the run
   ends before its first timed checkpoint: only final_model.pt is written.
3. Every file under the project with its mtime into _mtimes/half_done.json.
(tdd/red.txt and tdd/green.txt were recorded by hand while load_checkpoint was written,
 as CONTRIBUTING.md says; this script leaves them alone.)
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "half_done"
MTIMES = HERE.parent / "_mtimes" / "half_done.json"
PY = Path(sys.executable)
SKIP = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PATH=f"{PY.parent}:{os.environ['PATH']}")


def run_tests():
    (PROJECT / "test_results.xml").unlink(missing_ok=True)
    rc = subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         "--junitxml=test_results.xml"], cwd=PROJECT, env=env()).returncode
    print(f"pytest exit {rc} (two known failures)", flush=True)


def run_demo():
    shutil.rmtree(PROJECT / "outputs", ignore_errors=True)
    done = subprocess.run(["nice", "-n", "10", "python", "train.py"], cwd=PROJECT, env=env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode != 0:
        raise SystemExit("training failed; see outputs/train.log")
    print("training finished", flush=True)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP.intersection(rel.parts):
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_demo()
    record_mtimes()
