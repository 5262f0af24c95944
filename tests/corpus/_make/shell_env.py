"""Regenerate tests/corpus/shell_env's JUnit file and run folder (runs/exp1/).

    /work/main/.venv/bin/python tests/corpus/_make/shell_env.py            # ~7 min
    /work/main/.venv/bin/python tests/corpus/_make/shell_env.py --mtimes-only

First the suite runs the way the project's README tells contributors to run it
(`python -m pytest --junitxml=test-results/junit.xml tests/`). Then the run: the README's
command (`EXP=exp1 bash scripts/train.sh`, train.sh appends everything to
runs/exp1/stdout.txt), killed with SIGKILL on its whole process group (node lost) a few
seconds after the second periodic save, 25 s of downtime, then the very same command
again with no option, which resumes on its own (--resume auto) and runs to MAX_STEPS.
Every file under the project is then recorded with its mtime in _mtimes/shell_env.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "shell_env"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "shell_env.json"
LOG = PROJECT / "runs" / "exp1" / "stdout.txt"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    # `python` on PATH is this interpreter, as it is inside the team's activated venv
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    return dict(os.environ, PATH=path, EXP="exp1", OMP_NUM_THREADS="1",
                PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    shutil.rmtree(PROJECT / "test-results", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=test-results/junit.xml", "tests/"],
                   cwd=PROJECT, env=env(), check=True)


def start():
    """`EXP=exp1 bash scripts/train.sh` in a tmux pane: stdout goes nowhere that matters."""
    return subprocess.Popen(["nice", "-n", "10", "bash", "scripts/train.sh"], cwd=PROJECT,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def saves_logged():
    return LOG.read_text().count("] saved ") if LOG.exists() else 0


def run():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)

    train = start()
    deadline = time.time() + 400
    while saves_logged() < 2:
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two checkpoint saves")
        time.sleep(0.2)
    time.sleep(5)  # a few more steps of work that the crash will lose
    os.killpg(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed process group {train.pid} after {saves_logged()} saves")

    time.sleep(25)  # downtime before someone notices and reruns the same line

    train = start()
    if train.wait() != 0:
        raise SystemExit("restarted session failed, see runs/exp1/stdout.txt")
    print(f"restarted session finished; {saves_logged()} saves in the log")


def clean():
    for name in SKIP_DIRS:
        for path in list(PROJECT.rglob(name)):
            shutil.rmtree(path, ignore_errors=True)


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
        run()
    clean()
    record_mtimes()
