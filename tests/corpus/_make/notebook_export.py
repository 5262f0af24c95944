"""Regenerate holdout/notebook_export's run (checkpoints/ and wandb/offline-run-*).

    /work/sidevenv/bin/python /work/holdout/_make/notebook_export.py            # the run
    /work/sidevenv/bin/python /work/holdout/_make/notebook_export.py --mtimes-only

1. The README's command `python train_notebook.py`, with IO_SLEEP=0.06 (the bucket latency
   the README mentions) so that an epoch takes about 72 s; one session, no kill, console
   output not kept (the README keeps none).
2. Every file under the project with its mtime into _mtimes/notebook_export.json.
The project has no tests. The offline run's folder name (wandb/offline-run-<time>-<id>) is new at
every run: after regenerating, update the run line and the batch-monitoring `at` in expected.yaml.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "notebook_export"
MTIMES = HOLDOUT / "_mtimes" / "notebook_export.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def run_training():
    shutil.rmtree(PROJECT / "checkpoints", ignore_errors=True)
    shutil.rmtree(PROJECT / "wandb", ignore_errors=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1", IO_SLEEP="0.06")
    subprocess.run(["nice", "-n", "10", sys.executable, "train_notebook.py"], cwd=PROJECT,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    print("finished:", sorted(p.name for p in (PROJECT / "checkpoints").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_training()
    record_mtimes()
