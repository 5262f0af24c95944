"""Regenerate tests/corpus/hydra_plain's JUnit file, Hydra launch folders and checkpoints.

    /work/sidevenv/bin/python tests/corpus/_make/hydra_plain.py            # full run, ~6 min
    /work/sidevenv/bin/python tests/corpus/_make/hydra_plain.py --mtimes-only

What it does, from the project root, as its README says:
1. `pytest --junitxml=reports/junit.xml`;
2. `python train.py experiment=tiny` (Hydra makes outputs/<date>/<time>/ with .hydra/ and
   train.log; checkpoints go to checkpoints/tiny/ every 300 steps, ~80 s apart);
3. SIGKILL once the launch's train.log shows two periodic saves, 25 s downtime;
4. the same command again: Hydra makes a new outputs/<date>/<time>/, the run finds
   checkpoints/tiny/last.pt on its own, resumes and runs to the end;
5. every file under the project is recorded with its mtime in _mtimes/hydra_plain.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "hydra_plain"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "hydra_plain.json"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
COMMAND = ["train.py", "experiment=tiny"]


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def launch_logs():
    return sorted((PROJECT / "outputs").glob("*/*/train.log"))


def saves_in(log):
    return log.read_text().count("saved checkpoint") if log.exists() else 0


def start():
    return subprocess.Popen([sys.executable, *COMMAND], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def clean_caches():
    for name in SKIP_DIRS:
        for d in PROJECT.rglob(name):
            shutil.rmtree(d, ignore_errors=True)


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


def run():
    for d in ("outputs", "checkpoints", "reports"):
        shutil.rmtree(PROJECT / d, ignore_errors=True)

    tests = subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                           cwd=PROJECT, env=env())
    if tests.returncode != 0:
        raise SystemExit("tests failed")

    train = start()
    deadline = time.time() + 400
    while True:
        logs = launch_logs()
        if logs and saves_in(logs[-1]) >= 2:
            break
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first launch ended before two checkpoint saves")
        time.sleep(0.2)
    time.sleep(6)  # a few more steps that the crash loses
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"killed pid {train.pid} after {saves_in(launch_logs()[-1])} saves")

    time.sleep(25)  # downtime before the same command is launched again

    train = start()
    if train.wait() != 0:
        raise SystemExit("relaunch failed, see its train.log")
    print("launch folders:", [str(p.parent.relative_to(PROJECT)) for p in launch_logs()])


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run()
    clean_caches()
    record_mtimes()
