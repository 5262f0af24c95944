"""Regenerate tests/corpus/overwrite's run folder (run/) the way its README runs it.

    /work/sidevenv/bin/python tests/corpus/_make/overwrite.py            # full run, ~6 min
    /work/sidevenv/bin/python tests/corpus/_make/overwrite.py --mtimes-only

The run: the README's command (`nohup python train.py >> run/train.log 2>&1`), SIGKILL once
the log shows two saves of run/last.pt (the file is overwritten in place at each save), a
30 s downtime, then the same command again, which finds run/last.pt and resumes on its own
and runs to the end (periodic saves every 75 s, then the end-of-training save). Then every
file under the project is recorded with its mtime in _mtimes/overwrite.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "overwrite"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "overwrite.json"
LOG = PROJECT / "run" / "train.log"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def start():
    """`nohup python train.py >> run/train.log 2>&1 &` from the project root."""
    with open(LOG, "ab") as out:
        return subprocess.Popen(["nice", "-n", "10", sys.executable, "train.py"], cwd=PROJECT,
                                env=env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def saves_logged():
    return LOG.read_text().count("saving checkpoint to run/last.pt") if LOG.exists() else 0


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run():
    shutil.rmtree(PROJECT / "run", ignore_errors=True)
    (PROJECT / "run").mkdir()

    train = start()
    deadline = time.time() + 400
    while saves_logged() < 2:
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two checkpoint saves")
        time.sleep(0.2)
    time.sleep(6)  # a few more steps of work that the crash will lose
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed pid {train.pid} after {saves_logged()} saves")

    time.sleep(30)  # downtime before someone notices and restarts the same command

    train = start()
    if train.wait() != 0:
        raise SystemExit("restarted session failed, see run/train.log")
    print(f"restarted session finished; {saves_logged()} saves in the log")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    record_mtimes()
