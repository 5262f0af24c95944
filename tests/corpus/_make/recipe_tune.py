"""Regenerate tests/corpus/recipe_tune's JUnit report and run folder (outputs/tiny_lm/).

    /work/main/.venv/bin/python tests/corpus/_make/recipe_tune.py            # full run, ~7 min
    /work/main/.venv/bin/python tests/corpus/_make/recipe_tune.py --mtimes-only

What it does, with the commands the project's README gives:

1. `pytest --junitxml=reports/junit.xml` from the project root (12 tests, a few seconds).
2. `python -m recipes.full_finetune --config recipes/configs/tiny_lm.yaml` (4 epochs of
   ~82 s; epoch_N.pt at the end of each). Its stdout duplicates the log file and is dropped.
3. SIGKILL ~35 s into epoch 2, once epoch_0.pt and epoch_1.pt are saved; 25 s of downtime.
4. The same command with `resume_from_checkpoint=True`, as the README's "Continuing a run"
   says; it loads epoch_1.pt, redoes epoch 2 and finishes epoch 3.
5. __pycache__ and .pytest_cache are removed, and every file under the project is recorded
   with its mtime in _mtimes/recipe_tune.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "recipe_tune"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "recipe_tune.json"
OUT = PROJECT / "outputs" / "tiny_lm"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
COMMAND = ["python", "-m", "recipes.full_finetune", "--config", "recipes/configs/tiny_lm.yaml"]


def env():
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    return dict(os.environ, PATH=path, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def start(extra=()):
    return subprocess.Popen(COMMAND + list(extra), cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def saved(epoch):
    needle = f"saved to outputs/tiny_lm/epoch_{epoch}.pt"
    return any(needle in p.read_text() for p in OUT.glob("log_*.txt"))


def clean_caches():
    for path in sorted(PROJECT.rglob("*"), reverse=True):
        if path.is_dir() and path.name in SKIP_DIRS:
            shutil.rmtree(path)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run():
    (PROJECT / "reports").mkdir(exist_ok=True)
    tests = subprocess.run(["pytest", "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env())
    if tests.returncode != 0:
        raise SystemExit("the test suite failed; see the output above")

    shutil.rmtree(PROJECT / "outputs", ignore_errors=True)
    train = start()
    print(f"session 1: pid {train.pid}, started {time.strftime('%H:%M:%S')}")
    deadline = time.time() + 400
    while not saved(1):
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before epoch_1.pt was saved")
        time.sleep(0.5)
    print(f"epoch_1.pt saved at {time.strftime('%H:%M:%S')}")
    time.sleep(35)  # part of epoch 2, lost in the crash
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed pid {train.pid} at {time.strftime('%H:%M:%S')}")

    time.sleep(25)  # downtime before someone relaunches, following the README

    train = start(["resume_from_checkpoint=True"])
    print(f"session 2: pid {train.pid}, started {time.strftime('%H:%M:%S')}")
    if train.wait() != 0:
        raise SystemExit("resumed session failed, see outputs/tiny_lm/log_*.txt")
    print(f"session 2 finished at {time.strftime('%H:%M:%S')}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    clean_caches()
    record_mtimes()
