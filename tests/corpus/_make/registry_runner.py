"""Regenerate holdout/registry_runner's JUnit file and its run folder (work_dirs/mlp_toy).

    /work/sidevenv/bin/python /work/holdout/_make/registry_runner.py            # tests + run
    /work/sidevenv/bin/python /work/holdout/_make/registry_runner.py --run-only   # the run alone
    /work/sidevenv/bin/python /work/holdout/_make/registry_runner.py --mtimes-only

1. The tests as CONTRIBUTING.md says: `pytest --junitxml=.ci/pytest.xml` (one test fails,
   and the file keeps that).
2. The README's command `python tools/train.py configs/mlp_toy.py` (read_delay=0.05 in the
   config makes an epoch ~40 s). The first session is stopped with SIGINT (Ctrl-C) 5 s after
   epoch_3.pth appears; after 20 s the very same command runs again, finds
   work_dirs/mlp_toy/last_checkpoint (resume = True in the config) and trains to the end.
   tdd/auto-resume/ was recorded by hand while the auto-resume feature was written.
3. Every file under the project with its mtime into _mtimes/registry_runner.json.
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
PROJECT = HOLDOUT / "registry_runner"
MTIMES = HOLDOUT / "_mtimes" / "registry_runner.json"
WORK = PROJECT / "work_dirs" / "mlp_toy"
COMMAND = [sys.executable, "tools/train.py", "configs/mlp_toy.py"]
DOWNTIME_S = 20
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_tests():
    (PROJECT / ".ci" / "pytest.xml").unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                             "--junitxml=.ci/pytest.xml"], cwd=PROJECT, env=env())
    print(f"pytest exit code {result.returncode}")


def default_sigint():
    # a generator started in the background inherits SIGINT ignored; a terminal's Ctrl-C is not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_training():
    shutil.rmtree(PROJECT / "work_dirs", ignore_errors=True)
    first = subprocess.Popen(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=default_sigint)
    deadline = time.time() + 300
    while not (WORK / "epoch_3.pth").exists():
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before epoch_3.pth")
        time.sleep(0.5)
    time.sleep(5)
    first.send_signal(signal.SIGINT)
    code = first.wait()
    if code == 0:
        raise SystemExit("the first session was not interrupted")
    print(f"first session stopped with SIGINT, exit code {code}")
    time.sleep(DOWNTIME_S)
    second = subprocess.run(["nice", "-n", "10", *COMMAND], cwd=PROJECT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if second.returncode != 0:
        raise SystemExit("second session failed")
    print("second session finished:", sorted(p.name for p in WORK.glob("*.pth")))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        if "--run-only" not in sys.argv:
            run_tests()
        run_training()
    record_mtimes()
