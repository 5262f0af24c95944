"""Regenerate tests/corpus/lookalike: its JUnit XML (reports/) and its run (results/run_001/).

    /work/sidevenv/bin/python tests/corpus/_make/lookalike.py            # tests + run, ~3 min
    /work/sidevenv/bin/python tests/corpus/_make/lookalike.py --mtimes-only

The tests run as the README says (`python -m pytest --junitxml=reports/junit.xml`); the run
is one session of the README's command (`python train_tokenizer.py --epochs 14 --out
results/run_001 2>&1 | tee results/run_001/train.log`), no crash.

artifacts/tdd/{red,green,refactor}.txt are history (plain pytest output of the red, green
and refactor moments of the progress-percentage change, with no date in their text) and
are left as they are; only their mtimes are set, minutes apart in the order red, green,
refactor. That order looks right but is no evidence: nothing in the records dates them.
Then every file under the project is recorded with its mtime in _mtimes/lookalike.json.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "lookalike"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "lookalike.json"
RUN = PROJECT / "results" / "run_001"
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


def set_tdd_mtimes(before):
    for minutes_before, phase in ((40, "red"), (31, "green"), (22, "refactor")):
        t = before - minutes_before * 60
        os.utime(PROJECT / "artifacts" / "tdd" / f"{phase}.txt", (t, t))


def run():
    set_tdd_mtimes(time.time())
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=env(), check=True)

    shutil.rmtree(PROJECT / "results", ignore_errors=True)
    RUN.mkdir(parents=True)
    train = subprocess.Popen(["nice", "-n", "10", sys.executable, "train_tokenizer.py", "--epochs", "14",
                              "--out", "results/run_001"], cwd=PROJECT, env=env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tee = subprocess.Popen(["tee", "results/run_001/train.log"], cwd=PROJECT, stdin=train.stdout,
                           stdout=subprocess.DEVNULL)
    train.stdout.close()
    if train.wait() != 0:
        raise SystemExit("training failed, see results/run_001/train.log")
    tee.wait()
    print("run finished")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    record_mtimes()
