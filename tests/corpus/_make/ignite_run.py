"""Regenerate holdout/ignite_run's JUnit file and its run folder (outputs/exp1).

    /work/sidevenv/bin/python /work/holdout/_make/ignite_run.py            # tests + run
    /work/sidevenv/bin/python /work/holdout/_make/ignite_run.py --mtimes-only

1. The tests as the project's CI runs them: `pytest --junitxml=junit/test-results.xml`
   (the slow resume test is skipped without --runslow, as in CI).
2. The README's command `python main.py --output_dir outputs/exp1`, with `--io_delay 0.4` so
   that 200 iterations take real minutes; SIGKILL 12 s after training_checkpoint_400.pt
   appears, a 30 s downtime, then the README's explicit resume command
   `--resume_from outputs/exp1/checkpoints/training_checkpoint_400.pt` runs to the end.
3. Every file under the project with its mtime into _mtimes/ignite_run.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "ignite_run"
MTIMES = HOLDOUT / "_mtimes" / "ignite_run.json"
RUN = PROJECT / "outputs" / "exp1"
COMMAND = [sys.executable, "main.py", "--output_dir", "outputs/exp1", "--io_delay", "0.4"]
RESUME = ["--resume_from", "outputs/exp1/checkpoints/training_checkpoint_400.pt"]
DOWNTIME_S = 30
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "junit", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=junit/test-results.xml"], cwd=PROJECT, env=env(), check=True)


def run_exp1():
    shutil.rmtree(PROJECT / "outputs", ignore_errors=True)
    first = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = RUN / "checkpoints" / "training_checkpoint_400.pt"
    deadline = time.time() + 420
    while not target.exists():
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before training_checkpoint_400.pt")
        time.sleep(0.5)
    time.sleep(12)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    print(f"killed pid {first.pid}; down for {DOWNTIME_S} s")
    time.sleep(DOWNTIME_S)
    second = subprocess.run(["nice", "-n", "10", *COMMAND, *RESUME], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if second.returncode != 0:
        raise SystemExit("second session failed, see outputs/exp1/train.log")
    print("second session finished:", sorted(p.name for p in (RUN / "checkpoints").iterdir()))


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
        run_exp1()
    record_mtimes()
