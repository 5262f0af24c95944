"""Regenerate tests/corpus/tddhistory: its JUnit XML (test-results/) and its run (out/).

    /work/sidevenv/bin/python tests/corpus/_make/tddhistory.py            # tests + run, ~5 min
    /work/sidevenv/bin/python tests/corpus/_make/tddhistory.py --mtimes-only

The tests run as the README says (`python -m pytest --junitxml=test-results/results.xml`).
The run is the README's train command (`python -m charlm.train --out out --sleep-per-batch
0.1 >> out/train.log 2>&1`), SIGKILL once out/ckpt_000400.pt is logged, a 15 s downtime,
then the README's resume command (the same plus `--resume out/ckpt_000400.pt`).

tdd/resume-iter/{red,green,refactor}.txt are history: `(date -u; python -m pytest)` output
captured at the red, green and refactor moments of the resume-iteration change, so their
order is in their first lines. Their mtimes are set to the opposite order (refactor
oldest, red newest), as a copy or checkout might leave them. Then every file under the
project is recorded with its mtime in _mtimes/tddhistory.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "tddhistory"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "tddhistory.json"
LOG = PROJECT / "out" / "train.log"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
TRAIN = ["-m", "charlm.train", "--out", "out", "--sleep-per-batch", "0.1"]
# after every date in the records, and in reverse: red looks newest, refactor oldest
TDD_MTIMES = {"refactor": "2026-12-02T16:12:05", "green": "2026-12-02T16:14:40",
              "red": "2026-12-02T16:17:15"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def start(extra=()):
    with open(LOG, "ab") as out:
        return subprocess.Popen(["nice", "-n", "10", sys.executable, *TRAIN, *extra], cwd=PROJECT,
                                env=env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def set_tdd_mtimes():
    for phase, stamp in TDD_MTIMES.items():
        t = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()
        os.utime(PROJECT / "tdd" / "resume-iter" / f"{phase}.txt", (t, t))


def run():
    shutil.rmtree(PROJECT / "test-results", ignore_errors=True)
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=test-results/results.xml"], cwd=PROJECT, env=env(), check=True)

    shutil.rmtree(PROJECT / "out", ignore_errors=True)
    (PROJECT / "out").mkdir()
    train = start()
    deadline = time.time() + 400
    while "saved out/ckpt_000400.pt" not in LOG.read_text():
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before ckpt_000400")
        time.sleep(0.2)
    time.sleep(4)  # some iterations past the checkpoint, lost in the crash
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed pid {train.pid}")

    time.sleep(15)  # downtime before someone resumes by hand

    train = start(["--resume", "out/ckpt_000400.pt"])
    if train.wait() != 0:
        raise SystemExit("resumed session failed, see out/train.log")
    print("resumed session finished")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    set_tdd_mtimes()
    record_mtimes()
