"""Regenerate tests/corpus/nanoscript's run folder (out/) the way its README runs it.

    /work/sidevenv/bin/python tests/corpus/_make/nanoscript.py            # full run
    /work/sidevenv/bin/python tests/corpus/_make/nanoscript.py --mtimes-only

The run: the README's train command (`python -u train.py config/train_chars.py | tee -a
out/train.log`), SIGKILL once the log shows two checkpoint saves, a short downtime, then the
README's resume command (the same plus `--init_from=resume`), which runs to max_iters.
Then every file under the project is recorded with its mtime in _mtimes/nanoscript.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "nanoscript"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "nanoscript.json"
LOG = PROJECT / "out" / "train.log"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return e


def start(extra):
    """`python -u train.py config/train_chars.py [extra] | tee -a out/train.log`."""
    train = subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-u", "train.py", "config/train_chars.py", *extra],
        cwd=PROJECT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tee = subprocess.Popen(["tee", "-a", str(LOG)], cwd=PROJECT, stdin=train.stdout,
                           stdout=subprocess.DEVNULL)
    train.stdout.close()
    return train, tee


def saves_logged():
    if not LOG.exists():
        return 0
    return LOG.read_text().count("saving checkpoint to out")


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run():
    shutil.rmtree(PROJECT / "out", ignore_errors=True)
    subprocess.run([sys.executable, "data/chars/prepare.py"], cwd=PROJECT, env=env(), check=True)
    (PROJECT / "out").mkdir()

    train, tee = start([])
    deadline = time.time() + 300
    while saves_logged() < 2:
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two checkpoint saves")
        time.sleep(0.1)
    time.sleep(0.5)  # let the second torch.save finish: the kill should hit training, not the write
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    tee.wait()
    print(f"killed pid {train.pid} after {saves_logged()} saves")

    time.sleep(5)  # downtime before someone notices and resumes

    train, tee = start(["--init_from=resume"])
    if train.wait() != 0:
        raise SystemExit("resumed session failed, see out/train.log")
    tee.wait()
    print(f"resumed session finished; {saves_logged()} saves in the log")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    record_mtimes()
