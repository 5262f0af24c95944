"""Regenerate fabric_loop's JUnit file and its run folder (out/exp1).

    /work/sidevenv/bin/python /work/holdout3/_make/fabric_loop.py [--mtimes-only]

1. The suite as CLAUDE.md says: `pytest --junitxml=reports/pytest-junit.xml`.
2. The README's command `python train.py --out-dir out/exp1 2>&1 | tee -a out/exp1/console.log`
   through bash (PYTHONUNBUFFERED=1 so that tee sees every line before the kill), SIGKILL to
   the python process 10 s after its second timer checkpoint, 20 s of downtime, then the very
   same command again; it finds the newest step-*.ckpt and runs to --max-steps.
3. Every file under the project with its mtime into _mtimes/fabric_loop.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent / "fabric_loop"
MTIMES = HERE.parent / "_mtimes" / "fabric_loop.json"
RUN = PROJECT / "out" / "exp1"
PY = Path(sys.executable)
COMMAND = "python train.py --out-dir out/exp1 2>&1 | tee -a out/exp1/console.log"
SKIP = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
                PATH=f"{PY.parent}:{os.environ['PATH']}")


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=reports/pytest-junit.xml"], cwd=PROJECT, env=env(), check=True)


def timer_saves():
    log = RUN / "console.log"
    return log.read_text().count("(timer)") if log.exists() else 0


def python_child(shell_pid):
    out = subprocess.run(["pgrep", "-P", str(shell_pid), "-f", "train.py"], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def run_demo():
    shutil.rmtree(PROJECT / "out", ignore_errors=True)
    RUN.mkdir(parents=True)
    first = subprocess.Popen(["nice", "-n", "10", "bash", "-c", COMMAND], cwd=PROJECT, env=env())
    time.sleep(2)
    pid = python_child(first.pid)
    deadline = time.time() + 400
    while timer_saves() < 2:
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two timer saves")
        time.sleep(0.5)
    time.sleep(10)
    os.kill(pid, signal.SIGKILL)
    first.wait()
    print(f"killed python pid {pid} after {timer_saves()} timer saves; down for 20 s", flush=True)
    time.sleep(20)
    second = subprocess.run(["nice", "-n", "10", "bash", "-c", COMMAND], cwd=PROJECT, env=env())
    if second.returncode != 0:
        raise SystemExit("second session failed; see out/exp1/console.log")
    print(f"second session done; {timer_saves()} timer saves in the log", flush=True)


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
