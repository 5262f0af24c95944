"""Regenerate timm_style's JUnit file and its run folder (output/train/<timestamp>-tiny_cnn-32/).

    /work/sidevenv/bin/python /work/holdout4/_make/timm_style.py              # tests + run
    /work/sidevenv/bin/python /work/holdout4/_make/timm_style.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=test-results/junit.xml`.
2. The README's training command, `python train.py --config configs/tiny_cnn.yaml` (recovery
   every 40 batches, 100 batches an epoch, 5 epochs). Three seconds after log.txt shows the
   recovery save at epoch 2 batch 79 the process gets a real SIGKILL. After 10 s of downtime
   the README's resume command is run: same config, `--experiment <the first run's folder>`
   and `--resume <that folder>/recovery-2-79.pth.tar` (the newest recovery file). It goes on
   with epoch 3 and finishes epoch 4. Console output goes to a temporary file; the run's own
   record is log.txt in the run folder.
3. Every file under the project (except expected.yaml and caches) with its mtime into
   _mtimes/timm_style.json.
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

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "timm_style"
MTIMES = HOLDOUT / "_mtimes" / "timm_style.json"
CONFIG = ["--config", "configs/tiny_cnn.yaml"]
KILL_AFTER = "Wrote recovery checkpoint recovery-2-79.pth.tar"
DOWNTIME_S = 10
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean():
    for name in ("output", "test-results"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache, ignore_errors=True)


def run_tests():
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=test-results/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def start(extra, console):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, "train.py", *CONFIG, *extra],
                            cwd=PROJECT, env=env(), stdout=console, stderr=subprocess.STDOUT)


def run_dirs():
    root = PROJECT / "output" / "train"
    return sorted(root.iterdir()) if root.is_dir() else []


def run_training():
    with tempfile.TemporaryDirectory() as tmp:
        console = open(Path(tmp) / "console.txt", "ab")
        first = start([], console)
        deadline = time.time() + 420
        log = None
        while True:
            if first.poll() is not None or time.time() > deadline:
                sys.exit("first session ended before its kill point:\n"
                         + (Path(tmp) / "console.txt").read_text())
            dirs = run_dirs()
            if dirs and (dirs[0] / "log.txt").exists():
                log = dirs[0] / "log.txt"
                if KILL_AFTER in log.read_text():
                    break
            time.sleep(0.25)
        time.sleep(3)
        first.send_signal(signal.SIGKILL)
        first.wait()
        run_dir = log.parent
        print("SIGKILL after", KILL_AFTER, "in", run_dir.name)
        time.sleep(DOWNTIME_S)

        resume_from = run_dir.relative_to(PROJECT) / "recovery-2-79.pth.tar"
        second = start(["--experiment", run_dir.name, "--resume", str(resume_from)], console)
        if second.wait() != 0:
            sys.exit("second session failed:\n" + (Path(tmp) / "console.txt").read_text())
    print("done:", sorted(p.name for p in run_dir.iterdir()))


def record_mtimes():
    for cache in list(PROJECT.rglob("__pycache__")) + list(PROJECT.rglob(".pytest_cache")):
        shutil.rmtree(cache, ignore_errors=True)
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.as_posix() != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean()
        run_tests()
        run_training()
    record_mtimes()
