"""Regenerate diffusion_ema's JUnit file and its run folder (experiments/rect8).

    /work/sidevenv/bin/python /work/holdout2/_make/diffusion_ema.py            # tests + run
    /work/sidevenv/bin/python /work/holdout2/_make/diffusion_ema.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=ci-artifacts/junit.xml` (without
   DDPM_SLOW_TESTS, as CI runs them, so the wall-clock test is skipped).
2. The README's command `python train.py --run-dir experiments/rect8`, with `--max-steps 1300
   --io-delay 0.25` so that the run lasts about six minutes: one session, never killed, with
   two or more timed saves (every 2.5 min by default) and the end-of-training save. The
   console is discarded: the trainer writes the same lines to experiments/rect8/train.log.
3. Every file under the project with its mtime into _mtimes/diffusion_ema.json.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "diffusion_ema"
MTIMES = HOLDOUT / "_mtimes" / "diffusion_ema.json"
COMMAND = [sys.executable, "train.py", "--run-dir", "experiments/rect8",
           "--max-steps", "1300", "--io-delay", "0.25"]
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    clean = {k: v for k, v in os.environ.items() if k != "DDPM_SLOW_TESTS"}
    return dict(clean, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "ci-artifacts", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=ci-artifacts/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def run_training():
    shutil.rmtree(PROJECT / "experiments", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(), check=True,
                   stdout=subprocess.DEVNULL)
    timed = [line for line in (PROJECT / "experiments/rect8/train.log").read_text().splitlines()
             if "s since the last save" in line]
    print(f"{len(timed)} timed saves")
    if len(timed) < 2:
        raise SystemExit("fewer than two timed saves: make the run longer")


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
        run_training()
    record_mtimes()
