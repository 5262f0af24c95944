"""Regenerate tests/corpus/chronos's JUnit file and run folder (runs/demo/) the way its README says.

    .venv/bin/python tests/corpus/_make/chronos.py                  # tests + full run, ~7 min
    .venv/bin/python tests/corpus/_make/chronos.py --skip-tests     # run only
    .venv/bin/python tests/corpus/_make/chronos.py --mtimes-only

First the project's own test suite, `PYTHONPATH=src pytest --junitxml=reports/junit.xml`
from the project folder. Then the README's training command
(`python -m chronos train --config configs/base.toml --run-dir runs/demo`, with
PYTHONPATH=src in place of `pip install -e .`), SIGKILLed a few seconds after
train.jsonl shows its second interval save, 25 s of downtime, and the same command
again with nothing added: it resumes from the newest step_*.pt on its own and runs to
the end. Caches are removed and every project file's mtime is recorded in
_mtimes/chronos.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "chronos"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "chronos.json"
RUN = PROJECT / "runs" / "demo"
LOG = RUN / "train.jsonl"
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
COMMAND = ["-m", "chronos", "train", "--config", "configs/base.toml", "--run-dir", "runs/demo"]


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(PROJECT / "src"))


def interval_saves():
    if not LOG.exists():
        return 0
    count = 0
    for line in LOG.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line being written
        count += rec.get("msg") == "saved checkpoint" and rec.get("reason") == "interval"
    return count


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                            cwd=PROJECT, env=env())
    if result.returncode != 0:
        raise SystemExit("the project's tests failed")


def start(console):
    return subprocess.Popen([sys.executable, *COMMAND], cwd=PROJECT, env=env(),
                            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT)


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    console = tempfile.NamedTemporaryFile(prefix="chronos-console-", suffix=".log", delete=False)
    print(f"console output goes to {console.name}")

    train = start(console)
    deadline = time.time() + 400
    while interval_saves() < 2:
        if train.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before two interval saves")
        time.sleep(0.2)
    time.sleep(5)  # some steps past the last save, lost to the crash
    os.kill(train.pid, signal.SIGKILL)
    train.wait()
    print(f"{time.strftime('%H:%M:%S')} killed pid {train.pid} after {interval_saves()} interval saves")

    time.sleep(25)  # downtime before the same command is started again

    print(f"{time.strftime('%H:%M:%S')} restarting")
    train = start(console)
    if train.wait() != 0:
        raise SystemExit(f"restarted session failed, see {console.name}")
    print(f"{time.strftime('%H:%M:%S')} finished; {interval_saves()} interval saves in the log")


def clean_caches():
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
        if "--skip-tests" not in sys.argv:
            run_tests()
        run_training()
    clean_caches()
    record_mtimes()
